-- waffle schema, version 4 down: drops the change counter and its triggers.

DROP TRIGGER IF EXISTS waffle_flag_changed_insert;
DROP TRIGGER IF EXISTS waffle_flag_changed_update;
DROP TRIGGER IF EXISTS waffle_flag_changed_delete;
DROP TRIGGER IF EXISTS waffle_flag_user_changed_insert;
DROP TRIGGER IF EXISTS waffle_flag_user_changed_update;
DROP TRIGGER IF EXISTS waffle_flag_user_changed_delete;
DROP TRIGGER IF EXISTS waffle_flag_group_changed_insert;
DROP TRIGGER IF EXISTS waffle_flag_group_changed_update;
DROP TRIGGER IF EXISTS waffle_flag_group_changed_delete;
DROP TRIGGER IF EXISTS waffle_group_changed_insert;
DROP TRIGGER IF EXISTS waffle_group_changed_update;
DROP TRIGGER IF EXISTS waffle_group_changed_delete;
DROP TRIGGER IF EXISTS waffle_flag_sync_changed_insert;
DROP TRIGGER IF EXISTS waffle_flag_sync_changed_update;
DROP TRIGGER IF EXISTS waffle_flag_sync_changed_delete;
DROP TRIGGER IF EXISTS waffle_switch_changed_insert;
DROP TRIGGER IF EXISTS waffle_switch_changed_update;
DROP TRIGGER IF EXISTS waffle_switch_changed_delete;
DROP TRIGGER IF EXISTS waffle_sample_changed_insert;
DROP TRIGGER IF EXISTS waffle_sample_changed_update;
DROP TRIGGER IF EXISTS waffle_sample_changed_delete;
DROP TRIGGER IF EXISTS waffle_string_flag_changed_insert;
DROP TRIGGER IF EXISTS waffle_string_flag_changed_update;
DROP TRIGGER IF EXISTS waffle_string_flag_changed_delete;
DROP TABLE IF EXISTS waffle_change;
