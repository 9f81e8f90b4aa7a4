-- waffle schema, version 3: a membership sync that reads only what changed,
-- and group members that cost less to write.
--
-- waffle_flag_sync keeps what each flag's last sync left: the group it
-- filled, the instant it judged the windows at, and the number of members.
-- While a flag's row is clean, its next sync looks only at the windows that
-- started or ended in between (the two indexes below); any other change to
-- the flag's windows or to its WAFFLE_ group (through the library or not)
-- marks the row dirty (the triggers below), and the next sync compares the
-- flag's windows and members in full. Each trigger first checks that there is
-- a clean row to mark, so that a bulk write costs one index probe per row.

CREATE TABLE IF NOT EXISTS waffle_flag_sync (
    flag_id   INTEGER PRIMARY KEY REFERENCES waffle_flag (id) ON DELETE CASCADE,
    group_id  INTEGER,
    synced_at DATETIME,
    members   INTEGER NOT NULL DEFAULT 0,
    dirty     BOOLEAN NOT NULL DEFAULT TRUE
);
-- The clean rows by group, for the triggers' first check: a sync marks its
-- row dirty at its first write, and its other writes then find nothing here.
CREATE INDEX IF NOT EXISTS waffle_flag_sync_clean_group_idx ON waffle_flag_sync (group_id) WHERE NOT dirty;

-- The windows that start or end in an interval, per flag.
CREATE INDEX IF NOT EXISTS waffle_flag_member_start_idx ON waffle_flag_member (flag_id, start_at);
CREATE INDEX IF NOT EXISTS waffle_flag_member_end_idx ON waffle_flag_member (flag_id, end_at);

-- Windows written: their flags' rows become dirty.
CREATE TRIGGER IF NOT EXISTS waffle_sync_windows_inserted AFTER INSERT ON waffle_flag_member
WHEN EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.flag_id = NEW.flag_id AND NOT s.dirty)
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE flag_id = NEW.flag_id;
END;

CREATE TRIGGER IF NOT EXISTS waffle_sync_windows_updated
AFTER UPDATE OF flag_id, user_id, start_at, end_at ON waffle_flag_member
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE flag_id IN (OLD.flag_id, NEW.flag_id) AND NOT dirty;
END;

CREATE TRIGGER IF NOT EXISTS waffle_sync_windows_deleted AFTER DELETE ON waffle_flag_member
WHEN EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.flag_id = OLD.flag_id AND NOT s.dirty)
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE flag_id = OLD.flag_id;
END;

-- Members of a synced group written: its flag's row becomes dirty (a sync's
-- own writes too; the sync marks its row clean at its end). A group enters
-- waffle_flag_sync when a sync fills it, so ordinary groups never match.
CREATE TRIGGER IF NOT EXISTS waffle_sync_members_inserted AFTER INSERT ON waffle_group_member
WHEN EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.group_id = NEW.group_id AND NOT s.dirty)
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE group_id = NEW.group_id;
END;

CREATE TRIGGER IF NOT EXISTS waffle_sync_members_updated AFTER UPDATE ON waffle_group_member
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE group_id IN (OLD.group_id, NEW.group_id) AND NOT dirty;
END;

CREATE TRIGGER IF NOT EXISTS waffle_sync_members_deleted AFTER DELETE ON waffle_group_member
WHEN EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.group_id = OLD.group_id AND NOT s.dirty)
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE group_id = OLD.group_id;
END;

-- Deleting a group deletes its members even on a connection without
-- foreign_keys=on (where ON DELETE CASCADE does nothing), and forgets it as
-- a sync's group.
CREATE TRIGGER IF NOT EXISTS waffle_group_deleted AFTER DELETE ON waffle_group
BEGIN
    DELETE FROM waffle_group_member WHERE group_id = OLD.id;
    UPDATE waffle_flag_sync SET dirty = TRUE, group_id = NULL WHERE group_id = OLD.id;
END;

-- The (user_id, group_id) lookups of evaluation, for the groups filled by
-- hand: a table that triggers keep, instead of an index on every member. An
-- index by user is touched all over by each flag's sync (the users of one
-- flag are spread over all of it), which made it three quarters of the cost
-- of adding a member; the sync's groups (those of waffle_flag_sync) stay out
-- of this table, and evaluation finds their members through the flag's
-- WAFFLE_ group and the members' primary key instead. (PostgreSQL does the
-- same with a partial index and a column; SQLite cannot add a column
-- idempotently, and MigrationScript must be.)
CREATE TABLE IF NOT EXISTS waffle_group_member_by_user (
    user_id  TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waffle_flag_sync_group_idx ON waffle_flag_sync (group_id);

CREATE TRIGGER IF NOT EXISTS waffle_group_member_by_user_inserted AFTER INSERT ON waffle_group_member
WHEN NOT EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.group_id = NEW.group_id)
BEGIN
    INSERT OR IGNORE INTO waffle_group_member_by_user (user_id, group_id) VALUES (NEW.user_id, NEW.group_id);
END;

CREATE TRIGGER IF NOT EXISTS waffle_group_member_by_user_updated AFTER UPDATE ON waffle_group_member
BEGIN
    DELETE FROM waffle_group_member_by_user WHERE user_id = OLD.user_id AND group_id = OLD.group_id;
    INSERT OR IGNORE INTO waffle_group_member_by_user (user_id, group_id)
    SELECT NEW.user_id, NEW.group_id
    WHERE NOT EXISTS (SELECT 1 FROM waffle_flag_sync s WHERE s.group_id = NEW.group_id);
END;

CREATE TRIGGER IF NOT EXISTS waffle_group_member_by_user_deleted AFTER DELETE ON waffle_group_member
BEGIN
    DELETE FROM waffle_group_member_by_user WHERE user_id = OLD.user_id AND group_id = OLD.group_id;
END;

INSERT OR IGNORE INTO waffle_group_member_by_user (user_id, group_id)
SELECT user_id, group_id FROM waffle_group_member;
DROP INDEX IF EXISTS waffle_group_member_user_idx;
