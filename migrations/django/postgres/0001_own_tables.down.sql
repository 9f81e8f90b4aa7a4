-- Django mode, version 1 down: drops the library's own tables beside
-- Django's, and their data. Django's tables are left as they are.

DROP TABLE IF EXISTS waffle_audit;
DROP TABLE IF EXISTS waffle_flag_member;
DROP TABLE IF EXISTS waffle_string_flag;
