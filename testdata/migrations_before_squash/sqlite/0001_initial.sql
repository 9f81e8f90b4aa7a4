-- waffle schema, version 1: every table of the library.
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
CREATE INDEX IF NOT EXISTS waffle_group_member_user_idx ON waffle_group_member (user_id, group_id);

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
CREATE INDEX IF NOT EXISTS waffle_flag_member_flag_user_idx ON waffle_flag_member (flag_id, user_id);
CREATE INDEX IF NOT EXISTS waffle_flag_member_user_idx ON waffle_flag_member (user_id);
