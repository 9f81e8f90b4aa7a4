-- Switches: waffle_switch.

-- name: switch_active
SELECT active FROM waffle_switch WHERE name = $1;

-- name: switch_set
-- Leaves note and the application's own columns as they are.
INSERT INTO waffle_switch (name, active, created, modified) VALUES ($1, $2, $3, $3)
ON CONFLICT (name) DO UPDATE SET active = excluded.active, modified = excluded.modified;

-- name: switch_create_missing
INSERT INTO waffle_switch (name, active, created, modified) VALUES ($1, $2, $3, $3)
ON CONFLICT (name) DO NOTHING;

-- name: switch_delete
DELETE FROM waffle_switch WHERE name = $1;

-- name: switch_detail
SELECT active, note, modified FROM waffle_switch WHERE name = $1;
