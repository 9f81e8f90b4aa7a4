-- waffle schema, version 3: the audit trail (docs/audit.md).
--
-- One row per change made through the library, written in the change's own
-- transaction: who (actor, from waffle.WithActor), when (the configured
-- clock), what (action, kind, name) and the state before and after, as JSON
-- text (only the fields that changed for an update, the whole object for a
-- create or a delete). Rows are never updated; PruneHistory deletes old ones.
-- Pages are read newest first by id (keyset): the name and actor filters
-- have an index that ends in id, so a filtered page reads only its own rows.
-- The time filter has a BRIN index: entries are written in the order of
-- time, so a block range summary finds a range's blocks at a fraction of a
-- B-tree's cost to every write (a clock that goes back only makes a range
-- read more blocks; the answer is the same).

CREATE TABLE IF NOT EXISTS waffle_audit (
    id     BIGSERIAL PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    actor  TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    kind   TEXT NOT NULL,
    name   TEXT NOT NULL,
    before TEXT,
    after  TEXT
);
CREATE INDEX IF NOT EXISTS waffle_audit_name_idx ON waffle_audit (name, id);
CREATE INDEX IF NOT EXISTS waffle_audit_actor_idx ON waffle_audit (actor, id);
CREATE INDEX IF NOT EXISTS waffle_audit_at_idx ON waffle_audit USING brin (at);

