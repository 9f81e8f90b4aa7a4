-- waffle schema, version 1 down: drops everything version 1 created, and
-- every row of the library with it. Tables go child first; their indexes and
-- triggers go with them, the trigger functions after.

DROP TABLE IF EXISTS waffle_flag_sync;
DROP TABLE IF EXISTS waffle_flag_member;
DROP TABLE IF EXISTS waffle_flag_group;
DROP TABLE IF EXISTS waffle_flag_user;
DROP TABLE IF EXISTS waffle_group_member;
DROP TABLE IF EXISTS waffle_string_flag;
DROP TABLE IF EXISTS waffle_sample;
DROP TABLE IF EXISTS waffle_switch;
DROP TABLE IF EXISTS waffle_group;
DROP TABLE IF EXISTS waffle_flag;

DROP FUNCTION IF EXISTS waffle_sync_windows_changed();
DROP FUNCTION IF EXISTS waffle_sync_members_changed();
DROP FUNCTION IF EXISTS waffle_sync_truncated();
DROP FUNCTION IF EXISTS waffle_group_deleted();
