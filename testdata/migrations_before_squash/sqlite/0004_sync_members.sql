-- waffle schema, version 4: the members a sync writes, in a table of their
-- own with no insert trigger.
--
-- SQLite runs triggers for each row, and the insert triggers of
-- waffle_group_member (migration 3) cost each member the sync added a third
-- of its time. The members that syncs write now go to waffle_sync_member,
-- which has none; the members written by hand (the library's group calls,
-- or SQL) stay in waffle_group_member, whatever their group. A group's
-- members are the rows of both tables, and the library reads both.
-- PostgreSQL runs its triggers once per statement and keeps every member in
-- waffle_group_member.
--
-- A member written by hand into a sync's group marks the flag's state dirty
-- (migration 3's trigger), so the flag's next sync compares in full: it
-- moves that group's rows from waffle_group_member to waffle_sync_member,
-- then removes those without an active window. Write members with
-- waffle_group_member: a row inserted into waffle_sync_member by hand is not
-- noticed until the flag's next full comparison.

CREATE TABLE IF NOT EXISTS waffle_sync_member (
    group_id INTEGER NOT NULL REFERENCES waffle_group (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

-- The members of the groups that syncs filled, moved. Deleting them from
-- waffle_group_member marks their flags' states dirty: each flag's next sync
-- compares in full, once.
INSERT OR IGNORE INTO waffle_sync_member (group_id, user_id)
SELECT m.group_id, m.user_id FROM waffle_group_member m
WHERE m.group_id IN (SELECT group_id FROM waffle_flag_sync WHERE group_id IS NOT NULL);
DELETE FROM waffle_group_member
WHERE group_id IN (SELECT group_id FROM waffle_flag_sync WHERE group_id IS NOT NULL);

-- The lookup by user (migration 3) now holds every row of
-- waffle_group_member: the sync no longer writes there, and a member added
-- by hand to a sync's group is a member until that flag's next sync.
DROP TRIGGER IF EXISTS waffle_group_member_by_user_inserted;
CREATE TRIGGER waffle_group_member_by_user_inserted AFTER INSERT ON waffle_group_member
BEGIN
    INSERT OR IGNORE INTO waffle_group_member_by_user (user_id, group_id) VALUES (NEW.user_id, NEW.group_id);
END;

DROP TRIGGER IF EXISTS waffle_group_member_by_user_updated;
CREATE TRIGGER waffle_group_member_by_user_updated AFTER UPDATE ON waffle_group_member
BEGIN
    DELETE FROM waffle_group_member_by_user WHERE user_id = OLD.user_id AND group_id = OLD.group_id;
    INSERT OR IGNORE INTO waffle_group_member_by_user (user_id, group_id) VALUES (NEW.user_id, NEW.group_id);
END;

-- Members of a sync's group deleted or changed (the sync's own removals too,
-- before it marks its state clean at its end): the flag compares in full at
-- its next sync.
CREATE TRIGGER IF NOT EXISTS waffle_sync_member_deleted AFTER DELETE ON waffle_sync_member
WHEN EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.group_id = OLD.group_id AND NOT s.dirty)
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE group_id = OLD.group_id;
END;

CREATE TRIGGER IF NOT EXISTS waffle_sync_member_updated AFTER UPDATE ON waffle_sync_member
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE group_id IN (OLD.group_id, NEW.group_id) AND NOT dirty;
END;

-- Deleting a group deletes its members from both tables, even on a
-- connection without foreign_keys=on.
DROP TRIGGER IF EXISTS waffle_group_deleted;
CREATE TRIGGER waffle_group_deleted AFTER DELETE ON waffle_group
BEGIN
    DELETE FROM waffle_group_member WHERE group_id = OLD.id;
    DELETE FROM waffle_sync_member WHERE group_id = OLD.id;
    UPDATE waffle_flag_sync SET dirty = TRUE, group_id = NULL WHERE group_id = OLD.id;
END;

-- Every member row of every group, from both tables. Deleting a row of this
-- view deletes the user from the group in both.
CREATE VIEW IF NOT EXISTS waffle_group_member_all (group_id, user_id) AS
SELECT group_id, user_id FROM waffle_group_member
UNION ALL
SELECT group_id, user_id FROM waffle_sync_member;

CREATE TRIGGER IF NOT EXISTS waffle_group_member_all_deleted INSTEAD OF DELETE ON waffle_group_member_all
BEGIN
    DELETE FROM waffle_group_member WHERE group_id = OLD.group_id AND user_id = OLD.user_id;
    DELETE FROM waffle_sync_member WHERE group_id = OLD.group_id AND user_id = OLD.user_id;
END;
