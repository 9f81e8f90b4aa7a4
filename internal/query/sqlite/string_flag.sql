-- flagday's string flags: waffle_string_flag. A NULL value reads as missing.

-- name: string_flag_get
SELECT value FROM waffle_string_flag WHERE name = ?1;

-- name: string_flag_set
INSERT INTO waffle_string_flag (name, value, created, modified) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified;

-- name: string_flag_set_many
-- SetFromJSON's batch: ?1 a JSON object of unique names to string or null
-- values (json_each gives NULL for null), ?3 the time. One statement for any
-- number of rows. "WHERE true" is required: without it SQLite would parse ON
-- CONFLICT as a join constraint of the SELECT.
INSERT INTO waffle_string_flag (name, value, created, modified)
SELECT key, value, ?3, ?3 FROM json_each(?1) WHERE true
ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified;

-- name: string_flag_delete
DELETE FROM waffle_string_flag WHERE name = ?1;

-- name: string_flag_detail
SELECT value, modified FROM waffle_string_flag WHERE name = ?1;
