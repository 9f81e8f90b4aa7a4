-- A flag's ramp (schema version 2): JSON text, NULL for none. The evaluation
-- statements (flag_eval*) return the column with the rest of the row.

-- name: flag_set_ramp
-- Sets or clears (NULL) the ramp of flag ?1, and its modified time.
UPDATE waffle_flag SET ramp = ?2, modified = ?3 WHERE name = ?1;
