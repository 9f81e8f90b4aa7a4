-- waffle schema, version 1: every table of the library (versions 1 to 4
-- before the squash of issue 11). Every statement is idempotent.
-- Names are 1 to 255 characters; group names are longer only for the
-- WAFFLE_<flag> groups that SyncMembership owns. Times are stored by the
-- library in UTC, so that they compare as text.

CREATE TABLE IF NOT EXISTS waffle_flag (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    everyone      BOOLEAN,
    percent       REAL CHECK (percent >= 0 AND percent <= 100),
    testing       BOOLEAN NOT NULL DEFAULT FALSE,
    superusers    BOOLEAN NOT NULL DEFAULT FALSE,
    staff         BOOLEAN NOT NULL DEFAULT FALSE,
    authenticated BOOLEAN NOT NULL DEFAULT FALSE,
    languages     TEXT NOT NULL DEFAULT '',
    rollout       BOOLEAN NOT NULL DEFAULT FALSE,
    note          TEXT NOT NULL DEFAULT '',
    created       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    modified      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE IF NOT EXISTS waffle_group (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 300),
    created DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

-- Members of a group: the application's user IDs, opaque strings.
CREATE TABLE IF NOT EXISTS waffle_group_member (
    group_id INTEGER NOT NULL REFERENCES waffle_group (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

-- Users listed on a flag.
CREATE TABLE IF NOT EXISTS waffle_flag_user (
    flag_id INTEGER NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    PRIMARY KEY (flag_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waffle_flag_user_user_idx ON waffle_flag_user (user_id);

-- Groups listed on a flag.
CREATE TABLE IF NOT EXISTS waffle_flag_group (
    flag_id  INTEGER NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES waffle_group (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waffle_flag_group_group_idx ON waffle_flag_group (group_id);

CREATE TABLE IF NOT EXISTS waffle_switch (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    active   BOOLEAN NOT NULL DEFAULT FALSE,
    note     TEXT NOT NULL DEFAULT '',
    created  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    modified DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE IF NOT EXISTS waffle_sample (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    percent  REAL NOT NULL CHECK (percent >= 0 AND percent <= 100),
    note     TEXT NOT NULL DEFAULT '',
    created  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    modified DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

-- flagday's stateless string flags. A NULL value reads as missing.
CREATE TABLE IF NOT EXISTS waffle_string_flag (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    value    TEXT,
    created  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    modified DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

-- waffle-window's time windows: user_id has the flag while
-- start_at <= now < end_at (end_at NULL: open-ended).
CREATE TABLE IF NOT EXISTS waffle_flag_member (
    id       INTEGER PRIMARY KEY,
    flag_id  INTEGER NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    start_at DATETIME NOT NULL,
    end_at   DATETIME,
    note     TEXT NOT NULL DEFAULT '',
    created  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    CHECK (end_at IS NULL OR end_at > start_at)
);
CREATE INDEX IF NOT EXISTS waffle_flag_member_user_idx ON waffle_flag_member (user_id);
-- SyncMembership looks up windows by (flag_id, user_id) and checks start_at
-- and end_at: with them in the index it never visits the table (a covering
-- index).
CREATE INDEX IF NOT EXISTS waffle_flag_member_sync_idx ON waffle_flag_member (flag_id, user_id, start_at, end_at);
-- The windows that start or end in an interval, per flag.
CREATE INDEX IF NOT EXISTS waffle_flag_member_start_idx ON waffle_flag_member (flag_id, start_at);
CREATE INDEX IF NOT EXISTS waffle_flag_member_end_idx ON waffle_flag_member (flag_id, end_at);

-- waffle_flag_sync keeps what each flag's last sync left: the group it
-- filled, the instant it judged the windows at, and the number of members.
-- While a flag's row is clean, its next sync looks only at the windows that
-- started or ended in between (the start and end indexes above); any other
-- change to the flag's windows or to its WAFFLE_ group (through the library
-- or not) marks the row dirty (the triggers below), and the next sync
-- compares the flag's windows and members in full. Each trigger first
-- checks that there is a clean row to mark, so that a bulk write costs one
-- index probe per row.

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

-- The (user_id, group_id) lookups of evaluation, for the groups filled by
-- hand: a table that triggers keep, instead of an index on every member. An
-- index by user is touched all over by each flag's sync (the users of one
-- flag are spread over all of it), which made it three quarters of the cost
-- of adding a member; the sync's groups (those of waffle_flag_sync) stay out
-- of this table, and evaluation finds their members through the flag's
-- WAFFLE_ group and the members' primary key instead. (PostgreSQL does the
-- same with a partial index and a column.)
CREATE TABLE IF NOT EXISTS waffle_group_member_by_user (
    user_id  TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waffle_flag_sync_group_idx ON waffle_flag_sync (group_id);

CREATE TRIGGER IF NOT EXISTS waffle_group_member_by_user_deleted AFTER DELETE ON waffle_group_member
BEGIN
    DELETE FROM waffle_group_member_by_user WHERE user_id = OLD.user_id AND group_id = OLD.group_id;
END;

-- The members that syncs write, in a table of their own with no insert
-- trigger.
--
-- SQLite runs triggers for each row, and the insert triggers of
-- waffle_group_member cost each member the sync added a third of its time.
-- The members that syncs write go to waffle_sync_member, which has none;
-- the members written by hand (the library's group calls, or SQL) stay in
-- waffle_group_member, whatever their group. A group's members are the rows
-- of both tables, and the library reads both.
-- PostgreSQL runs its triggers once per statement and keeps every member in
-- waffle_group_member.
--
-- A member written by hand into a sync's group marks the flag's state dirty
-- (the trigger waffle_sync_members_inserted), so the flag's next sync
-- compares in full: it moves that group's rows from waffle_group_member to
-- waffle_sync_member, then removes those without an active window. Write
-- members with waffle_group_member: a row inserted into waffle_sync_member
-- by hand is not noticed until the flag's next full comparison.

CREATE TABLE IF NOT EXISTS waffle_sync_member (
    group_id INTEGER NOT NULL REFERENCES waffle_group (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

-- The lookup by user holds every row of waffle_group_member: the sync does
-- not write there, and a member added by hand to a sync's group is a member
-- until that flag's next sync.
CREATE TRIGGER IF NOT EXISTS waffle_group_member_by_user_inserted AFTER INSERT ON waffle_group_member
BEGIN
    INSERT OR IGNORE INTO waffle_group_member_by_user (user_id, group_id) VALUES (NEW.user_id, NEW.group_id);
END;

CREATE TRIGGER IF NOT EXISTS waffle_group_member_by_user_updated AFTER UPDATE ON waffle_group_member
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
CREATE TRIGGER IF NOT EXISTS waffle_group_deleted AFTER DELETE ON waffle_group
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
