-- Seeding (Store.Ensure): create what is missing, never touch what exists.
-- Each statement takes a JSON array of rows (?1) and the time (?2), and
-- returns the rows it created. "WHERE true" keeps SQLite from reading ON
-- CONFLICT as a join constraint.

-- name: flag_ensure
INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, ramp, note, created, modified)
SELECT value ->> 'name', value ->> 'everyone', value ->> 'percent', value ->> 'testing', value ->> 'superusers',
    value ->> 'staff', value ->> 'authenticated', value ->> 'languages', value ->> 'rollout', value ->> 'ramp', value ->> 'note', ?2, ?2
FROM json_each(?1) WHERE true
ON CONFLICT (name) DO NOTHING
RETURNING id, name;

-- name: switch_ensure
INSERT INTO waffle_switch (name, active, note, created, modified)
SELECT value ->> 'name', value ->> 'active', value ->> 'note', ?2, ?2 FROM json_each(?1) WHERE true
ON CONFLICT (name) DO NOTHING
RETURNING id, name;

-- name: sample_ensure
INSERT INTO waffle_sample (name, percent, note, created, modified)
SELECT value ->> 'name', value ->> 'percent', value ->> 'note', ?2, ?2 FROM json_each(?1) WHERE true
ON CONFLICT (name) DO NOTHING
RETURNING id, name;

-- name: string_flag_ensure
INSERT INTO waffle_string_flag (name, value, created, modified)
SELECT value ->> 'name', value ->> 'value', ?2, ?2 FROM json_each(?1) WHERE true
ON CONFLICT (name) DO NOTHING
RETURNING id, name;
