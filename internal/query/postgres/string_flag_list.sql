-- Listing string flags: the command's dump-json.

-- name: string_flag_list
-- Byte order, as on SQLite, whatever the database's collation.
SELECT name, value, created, modified FROM waffle_string_flag ORDER BY name COLLATE "C";
