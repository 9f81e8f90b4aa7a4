-- waffle schema, version 1: every table of the library.
-- Names are 1 to 255 characters; group names are longer only for the
-- WAFFLE_<flag> groups that SyncMembership owns.

CREATE TABLE IF NOT EXISTS waffle_flag (
    id            BIGSERIAL PRIMARY KEY,
    name          VARCHAR(255) NOT NULL UNIQUE,
    everyone      BOOLEAN,
    percent       DOUBLE PRECISION CHECK (percent >= 0 AND percent <= 100),
    testing       BOOLEAN NOT NULL DEFAULT FALSE,
    superusers    BOOLEAN NOT NULL DEFAULT FALSE,
    staff         BOOLEAN NOT NULL DEFAULT FALSE,
    authenticated BOOLEAN NOT NULL DEFAULT FALSE,
    languages     TEXT NOT NULL DEFAULT '',
    rollout       BOOLEAN NOT NULL DEFAULT FALSE,
    note          TEXT NOT NULL DEFAULT '',
    created       TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS waffle_group (
    id      BIGSERIAL PRIMARY KEY,
    name    VARCHAR(300) NOT NULL UNIQUE,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Members of a group: the application's user IDs, opaque strings.
CREATE TABLE IF NOT EXISTS waffle_group_member (
    group_id BIGINT NOT NULL REFERENCES waffle_group (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS waffle_group_member_user_idx ON waffle_group_member (user_id, group_id);

-- Users listed on a flag.
CREATE TABLE IF NOT EXISTS waffle_flag_user (
    flag_id BIGINT NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    PRIMARY KEY (flag_id, user_id)
);
CREATE INDEX IF NOT EXISTS waffle_flag_user_user_idx ON waffle_flag_user (user_id);

-- Groups listed on a flag.
CREATE TABLE IF NOT EXISTS waffle_flag_group (
    flag_id  BIGINT NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES waffle_group (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, group_id)
);
CREATE INDEX IF NOT EXISTS waffle_flag_group_group_idx ON waffle_flag_group (group_id);

CREATE TABLE IF NOT EXISTS waffle_switch (
    id       BIGSERIAL PRIMARY KEY,
    name     VARCHAR(255) NOT NULL UNIQUE,
    active   BOOLEAN NOT NULL DEFAULT FALSE,
    note     TEXT NOT NULL DEFAULT '',
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS waffle_sample (
    id       BIGSERIAL PRIMARY KEY,
    name     VARCHAR(255) NOT NULL UNIQUE,
    percent  DOUBLE PRECISION NOT NULL CHECK (percent >= 0 AND percent <= 100),
    note     TEXT NOT NULL DEFAULT '',
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- flagday's stateless string flags. A NULL value reads as missing.
CREATE TABLE IF NOT EXISTS waffle_string_flag (
    id       BIGSERIAL PRIMARY KEY,
    name     VARCHAR(255) NOT NULL UNIQUE,
    value    TEXT,
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- waffle-window's time windows: user_id has the flag while
-- start_at <= now < end_at (end_at NULL: open-ended).
CREATE TABLE IF NOT EXISTS waffle_flag_member (
    id       BIGSERIAL PRIMARY KEY,
    flag_id  BIGINT NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    start_at TIMESTAMPTZ NOT NULL,
    end_at   TIMESTAMPTZ,
    note     TEXT NOT NULL DEFAULT '',
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (end_at IS NULL OR end_at > start_at)
);
CREATE INDEX IF NOT EXISTS waffle_flag_member_flag_user_idx ON waffle_flag_member (flag_id, user_id);
CREATE INDEX IF NOT EXISTS waffle_flag_member_user_idx ON waffle_flag_member (user_id);
