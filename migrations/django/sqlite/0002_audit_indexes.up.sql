-- Django mode, version 2: the audit trail's name index groups entries by
-- bucket of id, as in the library's version 5 (docs/audit.md): a batch's
-- entries land in the newest bucket only, whatever the length of the
-- history.

DROP INDEX IF EXISTS waffle_audit_name_idx;
CREATE INDEX IF NOT EXISTS waffle_audit_bucket_name_idx ON waffle_audit ((id >> 16), name);
