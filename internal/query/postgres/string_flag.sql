-- flagday's string flags: waffle_string_flag. A NULL value reads as missing.

-- name: string_flag_get
SELECT value FROM waffle_string_flag WHERE name = $1;

-- name: string_flag_set
INSERT INTO waffle_string_flag (name, value, created, modified) VALUES ($1, $2, $3, $3)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified;

-- name: string_flag_set_many
-- SetFromJSON's batch: $1 the names, $2 the values (NULL elements for JSON
-- null), both of the same length and the names unique, $3 the time. One
-- statement for any number of rows.
INSERT INTO waffle_string_flag (name, value, created, modified)
SELECT t.name, t.value, $3, $3 FROM unnest($1::text[], $2::text[]) AS t (name, value)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified;

-- name: string_flag_delete
DELETE FROM waffle_string_flag WHERE name = $1;

-- name: string_flag_detail
SELECT value, modified FROM waffle_string_flag WHERE name = $1;
