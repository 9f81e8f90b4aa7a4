-- waffle schema, version 1: every table of the library (versions 1 to 4
-- before the squash of issue 11). Every statement is idempotent.
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
-- No foreign key to waffle_group: the trigger waffle_sync_members_changed
-- (below) checks and locks the groups once per statement instead, and
-- waffle_group_deleted deletes a deleted group's members. PostgreSQL checks a
-- foreign key with a query per inserted row, which was half of the cost of
-- adding a member (7 of 13 µs in a 70,000-member sync); every statement of
-- the library that adds members reads the group's row FOR KEY SHARE first,
-- in the same transaction, as the foreign key did for each row.
--
-- Members the sync writes (synced) stay out of the (user_id, group_id)
-- index: a user-major index is touched all over by every flag's sync, which
-- made it a quarter of the cost of adding a member. Evaluation finds those
-- members through the flag's WAFFLE_ group instead: one primary-key probe
-- (group_id, user_id).
CREATE TABLE IF NOT EXISTS waffle_group_member (
    group_id BIGINT NOT NULL,
    user_id  TEXT NOT NULL,
    synced   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS waffle_group_member_user_idx ON waffle_group_member (user_id, group_id) WHERE NOT synced;

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
CREATE INDEX IF NOT EXISTS waffle_flag_member_user_idx ON waffle_flag_member (user_id);
-- SyncMembership looks up windows by (flag_id, user_id) and checks start_at
-- and end_at: with them in the index it never visits the table (an
-- index-only scan).
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
-- compares the flag's windows and members in full.
--
-- Triggers are statement-level (one run per statement, however many rows)
-- and run with the search_path of this migration, so that they find the
-- tables of their own schema.

CREATE TABLE IF NOT EXISTS waffle_flag_sync (
    flag_id   BIGINT PRIMARY KEY REFERENCES waffle_flag (id) ON DELETE CASCADE,
    group_id  BIGINT,
    synced_at TIMESTAMPTZ,
    members   BIGINT NOT NULL DEFAULT 0,
    dirty     BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX IF NOT EXISTS waffle_flag_sync_group_idx ON waffle_flag_sync (group_id);

-- Windows written: their flags' rows become dirty. A flag that was never
-- synced gets a dirty row, so that a first sync running at the same moment
-- queues behind this statement's transaction on that row (see sync.go).
CREATE OR REPLACE FUNCTION waffle_sync_windows_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO waffle_flag_sync (flag_id)
        SELECT DISTINCT n.flag_id FROM waffle_new_rows n JOIN waffle_flag f ON f.id = n.flag_id ORDER BY 1
        ON CONFLICT (flag_id) DO UPDATE SET dirty = TRUE WHERE NOT waffle_flag_sync.dirty;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        -- The flags of a cascaded flag deletion are gone: the join skips them.
        INSERT INTO waffle_flag_sync (flag_id)
        SELECT DISTINCT o.flag_id FROM waffle_old_rows o JOIN waffle_flag f ON f.id = o.flag_id ORDER BY 1
        ON CONFLICT (flag_id) DO UPDATE SET dirty = TRUE WHERE NOT waffle_flag_sync.dirty;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS waffle_sync_windows_inserted ON waffle_flag_member;
CREATE TRIGGER waffle_sync_windows_inserted AFTER INSERT ON waffle_flag_member
    REFERENCING NEW TABLE AS waffle_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_windows_changed();
DROP TRIGGER IF EXISTS waffle_sync_windows_updated ON waffle_flag_member;
CREATE TRIGGER waffle_sync_windows_updated AFTER UPDATE ON waffle_flag_member
    REFERENCING OLD TABLE AS waffle_old_rows NEW TABLE AS waffle_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_windows_changed();
DROP TRIGGER IF EXISTS waffle_sync_windows_deleted ON waffle_flag_member;
CREATE TRIGGER waffle_sync_windows_deleted AFTER DELETE ON waffle_flag_member
    REFERENCING OLD TABLE AS waffle_old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_windows_changed();

-- Members of a WAFFLE_<flag> group written: that flag's row becomes dirty
-- (a sync's own writes too; the sync marks its row clean at its end). And
-- what a foreign key to waffle_group would check, once per statement
-- instead of once per row: the groups of the rows written exist,
-- and are locked FOR KEY SHARE until the transaction ends, so that a group
-- deleted meanwhile waits, then deletes these rows too. The rows' groups
-- are read from the transition table once, into an array.
CREATE OR REPLACE FUNCTION waffle_sync_members_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    written bigint[]; -- the groups of the rows inserted, or updated to
    touched bigint[]; -- those, and the groups of the rows deleted or updated from
    missing bigint;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT array_agg(DISTINCT n.group_id) INTO written FROM waffle_new_rows n;
        PERFORM 1 FROM waffle_group g WHERE g.id = ANY (written) ORDER BY g.id FOR KEY SHARE;
        SELECT x INTO missing FROM unnest(written) AS x
        WHERE NOT EXISTS (SELECT 1 FROM waffle_group g WHERE g.id = x)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'insert or update on table "waffle_group_member": group % does not exist', missing
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    touched := written;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT touched || array_agg(DISTINCT o.group_id) INTO touched FROM waffle_old_rows o;
    END IF;
    INSERT INTO waffle_flag_sync (flag_id)
    SELECT f.id FROM waffle_group g JOIN waffle_flag f ON f.name = substr(g.name, 8)
    WHERE g.id = ANY (touched) AND left(g.name, 7) = 'WAFFLE_'
    ORDER BY 1
    ON CONFLICT (flag_id) DO UPDATE SET dirty = TRUE WHERE NOT waffle_flag_sync.dirty;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS waffle_sync_members_inserted ON waffle_group_member;
CREATE TRIGGER waffle_sync_members_inserted AFTER INSERT ON waffle_group_member
    REFERENCING NEW TABLE AS waffle_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_members_changed();
DROP TRIGGER IF EXISTS waffle_sync_members_updated ON waffle_group_member;
CREATE TRIGGER waffle_sync_members_updated AFTER UPDATE ON waffle_group_member
    REFERENCING OLD TABLE AS waffle_old_rows NEW TABLE AS waffle_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_members_changed();
DROP TRIGGER IF EXISTS waffle_sync_members_deleted ON waffle_group_member;
CREATE TRIGGER waffle_sync_members_deleted AFTER DELETE ON waffle_group_member
    REFERENCING OLD TABLE AS waffle_old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_members_changed();

-- TRUNCATE fires no row triggers: every flag's row becomes dirty.
CREATE OR REPLACE FUNCTION waffle_sync_truncated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE waffle_flag_sync SET dirty = TRUE WHERE NOT dirty;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS waffle_sync_windows_truncated ON waffle_flag_member;
CREATE TRIGGER waffle_sync_windows_truncated AFTER TRUNCATE ON waffle_flag_member
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_truncated();
DROP TRIGGER IF EXISTS waffle_sync_members_truncated ON waffle_group_member;
CREATE TRIGGER waffle_sync_members_truncated AFTER TRUNCATE ON waffle_group_member
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_sync_truncated();

-- Deleting a group deletes its members, as ON DELETE CASCADE would, and
-- forgets it as a sync's group.
CREATE OR REPLACE FUNCTION waffle_group_deleted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM waffle_group_member;
        UPDATE waffle_flag_sync SET dirty = TRUE, group_id = NULL;
    ELSE
        DELETE FROM waffle_group_member m USING waffle_old_rows o WHERE m.group_id = o.id;
        UPDATE waffle_flag_sync s SET dirty = TRUE, group_id = NULL
        FROM waffle_old_rows o WHERE s.group_id = o.id;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS waffle_group_deleted ON waffle_group;
CREATE TRIGGER waffle_group_deleted AFTER DELETE ON waffle_group
    REFERENCING OLD TABLE AS waffle_old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_group_deleted();
DROP TRIGGER IF EXISTS waffle_group_truncated ON waffle_group;
CREATE TRIGGER waffle_group_truncated AFTER TRUNCATE ON waffle_group
    FOR EACH STATEMENT EXECUTE FUNCTION waffle_group_deleted();
