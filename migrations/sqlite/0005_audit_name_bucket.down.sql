-- waffle schema, version 5 down: the name index of version 3 again.

DROP INDEX IF EXISTS waffle_audit_bucket_name_idx;
CREATE INDEX IF NOT EXISTS waffle_audit_name_idx ON waffle_audit (name, id);
