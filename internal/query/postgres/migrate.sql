-- The migration runner's own statements.

-- name: migrate_lock
-- Serialises Migrate across processes; one lock per schema.
SELECT pg_advisory_xact_lock(hashtext('waffle.migrate.' || current_schema()));

-- name: schema_version_create
CREATE TABLE IF NOT EXISTS waffle_schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- name: schema_version_list
SELECT version, name, applied_at FROM waffle_schema_version ORDER BY version;

-- name: schema_version_insert
INSERT INTO waffle_schema_version (version, name, applied_at) VALUES ($1, $2, $3)
ON CONFLICT (version) DO NOTHING;

-- name: schema_version_exists
SELECT to_regclass('waffle_schema_version') IS NOT NULL;
