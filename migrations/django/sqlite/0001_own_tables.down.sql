-- Django mode, version 1 down: drops the library's own tables beside
-- Django's, and their data. Django's tables are left as they are.

DROP TRIGGER IF EXISTS waffle_string_flag_audited_insert;
DROP VIEW IF EXISTS waffle_string_flag_audited;
DROP TRIGGER IF EXISTS waffle_sample_audited_insert;
DROP VIEW IF EXISTS waffle_sample_audited;
DROP TRIGGER IF EXISTS waffle_switch_audited_insert;
DROP VIEW IF EXISTS waffle_switch_audited;
DROP TABLE IF EXISTS waffle_audit;
DROP TABLE IF EXISTS waffle_flag_member;
DROP TABLE IF EXISTS waffle_string_flag;
