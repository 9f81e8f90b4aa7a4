-- waffle schema, version 2: a flag's ramp (progressive rollout).
--
-- One nullable text column holding the ramp as JSON, written and validated
-- by the library: {"mode":"linear"|"steps","points":[{"at":RFC 3339 instant,
-- "percent":0..100},...]}. NULL is no ramp. The evaluation statements return
-- it with the rest of the flag's row; the effective percent is computed from
-- it in Go (docs/ramps.md). PostgreSQL stores the same text in the same
-- column.
--
-- SQLite has no ADD COLUMN IF NOT EXISTS: this version is the one statement
-- of the script that cannot run twice on the same database (Store.Migrate
-- runs each version once, by the version table).

ALTER TABLE waffle_flag ADD COLUMN ramp TEXT;
