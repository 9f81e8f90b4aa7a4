-- waffle schema, version 2: a flag's ramp (progressive rollout).
--
-- One nullable text column holding the ramp as JSON, written and validated
-- by the library: {"mode":"linear"|"steps","points":[{"at":RFC 3339 instant,
-- "percent":0..100},...]}. NULL is no ramp. The evaluation statements return
-- it with the rest of the flag's row; the effective percent is computed from
-- it in Go (docs/ramps.md). SQLite stores the same text in the same column.

ALTER TABLE waffle_flag ADD COLUMN IF NOT EXISTS ramp TEXT;
