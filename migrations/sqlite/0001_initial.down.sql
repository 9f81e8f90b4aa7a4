-- waffle schema, version 1 down: drops everything version 1 created, and
-- every row of the library with it. The view goes first, then the tables,
-- child first; their indexes and triggers go with them.

DROP VIEW IF EXISTS waffle_group_member_all;
DROP TABLE IF EXISTS waffle_sync_member;
DROP TABLE IF EXISTS waffle_group_member_by_user;
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
