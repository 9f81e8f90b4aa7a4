-- Listing string flags: the command's dump-json.

-- name: string_flag_list
SELECT name, value, created, modified FROM waffle_string_flag ORDER BY name;
