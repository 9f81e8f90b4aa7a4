-- waffle schema, version 4: change notification for the in-process snapshot
-- (docs/performance.md).
--
-- waffle_change holds one row whose version every change to a definition the
-- snapshot holds (flags, their users and groups, groups' names, sync states,
-- switches, samples, string flags) increments, through the triggers below,
-- whoever writes: the library, the CLI, plain SQL. A process with a snapshot
-- polls PRAGMA data_version (which moves when another connection commits)
-- and reads the version when it moved. Group members are not watched: the
-- snapshot never holds them.

CREATE TABLE IF NOT EXISTS waffle_change (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO waffle_change (id, version) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS waffle_flag_changed_insert AFTER INSERT ON waffle_flag
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_changed_update AFTER UPDATE ON waffle_flag
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_changed_delete AFTER DELETE ON waffle_flag
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_user_changed_insert AFTER INSERT ON waffle_flag_user
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_user_changed_update AFTER UPDATE ON waffle_flag_user
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_user_changed_delete AFTER DELETE ON waffle_flag_user
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_group_changed_insert AFTER INSERT ON waffle_flag_group
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_group_changed_update AFTER UPDATE ON waffle_flag_group
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_group_changed_delete AFTER DELETE ON waffle_flag_group
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_group_changed_insert AFTER INSERT ON waffle_group
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_group_changed_update AFTER UPDATE ON waffle_group
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_group_changed_delete AFTER DELETE ON waffle_group
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_sync_changed_insert AFTER INSERT ON waffle_flag_sync
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_sync_changed_update AFTER UPDATE ON waffle_flag_sync
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_flag_sync_changed_delete AFTER DELETE ON waffle_flag_sync
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_switch_changed_insert AFTER INSERT ON waffle_switch
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_switch_changed_update AFTER UPDATE ON waffle_switch
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_switch_changed_delete AFTER DELETE ON waffle_switch
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_sample_changed_insert AFTER INSERT ON waffle_sample
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_sample_changed_update AFTER UPDATE ON waffle_sample
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_sample_changed_delete AFTER DELETE ON waffle_sample
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_string_flag_changed_insert AFTER INSERT ON waffle_string_flag
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_string_flag_changed_update AFTER UPDATE ON waffle_string_flag
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS waffle_string_flag_changed_delete AFTER DELETE ON waffle_string_flag
BEGIN
    UPDATE waffle_change SET version = version + 1 WHERE id = 1;
END;
