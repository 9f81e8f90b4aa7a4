-- waffle schema, version 3 down: drops the audit trail and every entry in it.

DROP TABLE IF EXISTS waffle_audit;
