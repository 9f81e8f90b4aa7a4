-- Seeding (Store.Ensure): create what is missing, never touch what exists.
-- Each statement takes a JSON array of rows ($1) and the time ($2), and
-- returns the rows it created.

-- name: flag_ensure
INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, ramp, note, created, modified)
SELECT r.name, r.everyone, r.percent, r.testing, r.superusers, r.staff, r.authenticated, r.languages, r.rollout, r.ramp, r.note, $2, $2
FROM jsonb_to_recordset($1::text::jsonb) AS r (name text, everyone boolean, percent double precision, testing boolean,
    superusers boolean, staff boolean, authenticated boolean, languages text, rollout boolean, ramp text, note text)
ON CONFLICT (name) DO NOTHING
RETURNING id, name;

-- name: switch_ensure
INSERT INTO waffle_switch (name, active, note, created, modified)
SELECT r.name, r.active, r.note, $2, $2
FROM jsonb_to_recordset($1::text::jsonb) AS r (name text, active boolean, note text)
ON CONFLICT (name) DO NOTHING
RETURNING id, name;

-- name: sample_ensure
INSERT INTO waffle_sample (name, percent, note, created, modified)
SELECT r.name, r.percent, r.note, $2, $2
FROM jsonb_to_recordset($1::text::jsonb) AS r (name text, percent double precision, note text)
ON CONFLICT (name) DO NOTHING
RETURNING id, name;

-- name: string_flag_ensure
INSERT INTO waffle_string_flag (name, value, created, modified)
SELECT r.name, r.value, $2, $2
FROM jsonb_to_recordset($1::text::jsonb) AS r (name text, value text)
ON CONFLICT (name) DO NOTHING
RETURNING id, name;
