-- Django mode: django-waffle's waffle_switch and waffle_sample. Django sets no
-- column defaults in the database, so every NOT NULL column is written.

-- name: switch_set
INSERT INTO waffle_switch (name, active, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO UPDATE SET active = excluded.active, modified = excluded.modified;

-- name: switch_create_missing
INSERT INTO waffle_switch (name, active, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO NOTHING;

-- name: sample_set
INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO UPDATE SET percent = excluded.percent, modified = excluded.modified;

-- name: sample_create_missing
INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO NOTHING;

-- name: switch_set_audited
-- SetSwitch with its entry, in one statement: the library's own statement
-- (postgres/audit.sql says how it works) with Django's note written as ''.
WITH old AS (
    SELECT id, active FROM waffle_switch WHERE name = $1 FOR UPDATE),
upd AS (
    UPDATE waffle_switch s SET active = $2, modified = $3 FROM old WHERE s.id = old.id
    RETURNING old.active AS before),
ins AS (
    INSERT INTO waffle_switch (name, active, note, created, modified)
    SELECT $1, $2, '', $3, $3 WHERE NOT EXISTS (SELECT 1 FROM old)
    ON CONFLICT (name) DO NOTHING
    RETURNING note),
aud AS (
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT $3, $4, 'update', 'switch', $1, json_build_object('active', before)::text,
        json_build_object('active', $2::boolean)::text
    FROM upd WHERE before IS DISTINCT FROM $2::boolean
    UNION ALL
    SELECT $3, $4, 'create', 'switch', $1, NULL,
        json_build_object('active', $2::boolean, 'note', note)::text
    FROM ins)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins);

-- name: sample_set_audited
-- SetSample with its entry: see switch_set_audited.
WITH old AS (
    SELECT id, percent FROM waffle_sample WHERE name = $1 FOR UPDATE),
upd AS (
    UPDATE waffle_sample s SET percent = $2, modified = $3 FROM old WHERE s.id = old.id
    RETURNING old.percent AS before),
ins AS (
    INSERT INTO waffle_sample (name, percent, note, created, modified)
    SELECT $1, $2, '', $3, $3 WHERE NOT EXISTS (SELECT 1 FROM old)
    ON CONFLICT (name) DO NOTHING
    RETURNING note),
aud AS (
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT $3, $4, 'update', 'sample', $1, json_build_object('percent', before)::text,
        json_build_object('percent', $2::double precision)::text
    FROM upd WHERE before IS DISTINCT FROM $2::double precision
    UNION ALL
    SELECT $3, $4, 'create', 'sample', $1, NULL,
        json_build_object('percent', $2::double precision, 'note', note)::text
    FROM ins)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins);

