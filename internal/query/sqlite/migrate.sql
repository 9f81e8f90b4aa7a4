-- The migration runner's own statements.

-- name: migrate_lock
-- BEGIN IMMEDIATE already holds the database's write lock.
SELECT 1;

-- name: schema_version_create
CREATE TABLE IF NOT EXISTS waffle_schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

-- name: schema_version_list
SELECT version, name, applied_at FROM waffle_schema_version ORDER BY version;

-- name: schema_version_insert
INSERT INTO waffle_schema_version (version, name, applied_at) VALUES (?, ?, ?)
ON CONFLICT (version) DO NOTHING;

-- name: schema_version_exists
SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'waffle_schema_version');

-- name: schema_version_delete
DELETE FROM waffle_schema_version WHERE version = ?;

-- name: schema_version_drop
-- Reverting version 1 removes the version table too.
DROP TABLE IF EXISTS waffle_schema_version;
