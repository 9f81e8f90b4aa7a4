-- waffle schema, version 3 down: drops the audit trail and every entry in it.

DROP TRIGGER IF EXISTS waffle_string_flag_audited_insert;
DROP VIEW IF EXISTS waffle_string_flag_audited;
DROP TRIGGER IF EXISTS waffle_sample_audited_insert;
DROP VIEW IF EXISTS waffle_sample_audited;
DROP TRIGGER IF EXISTS waffle_switch_audited_insert;
DROP VIEW IF EXISTS waffle_switch_audited;
DROP TABLE IF EXISTS waffle_audit;
