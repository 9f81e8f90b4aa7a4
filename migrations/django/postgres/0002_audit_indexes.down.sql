-- Django mode, version 2 down: the B-tree time index of version 1 again.

DROP INDEX IF EXISTS waffle_audit_at_idx;
CREATE INDEX IF NOT EXISTS waffle_audit_at_idx ON waffle_audit (at);
