-- Django mode, version 2: the audit trail's time index becomes a BRIN index,
-- as in the library's version 3 (version 1 made it a B-tree): entries are
-- written in the order of time, so a block range summary finds a range's
-- blocks at a fraction of a B-tree's cost to every write. The name index
-- stays (name, id) on PostgreSQL (see the library's version 5, and
-- docs/audit.md).

DROP INDEX IF EXISTS waffle_audit_at_idx;
CREATE INDEX IF NOT EXISTS waffle_audit_at_idx ON waffle_audit USING brin (at);
