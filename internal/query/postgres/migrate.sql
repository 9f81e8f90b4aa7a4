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
-- A scan of pg_class, not to_regclass: after waiting on migrate_lock, a
-- transaction's relation cache may still hold a table another one dropped
-- meanwhile; a catalog scan sees what the statement's snapshot sees.
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class
               WHERE relname = 'waffle_schema_version' AND relnamespace = current_schema()::regnamespace);

-- name: schema_version_delete
DELETE FROM waffle_schema_version WHERE version = $1;

-- name: schema_version_drop
-- Reverting version 1 removes the version table too.
DROP TABLE IF EXISTS waffle_schema_version;
