-- Django mode, version 1: the library's own tables beside django-waffle's.
-- Django's migrations own waffle_flag, waffle_switch, waffle_sample and the
-- auth tables; this creates only what Django has no table for.


-- flagday's stateless string flags. A NULL value reads as missing.
CREATE TABLE IF NOT EXISTS waffle_string_flag (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    value    TEXT,
    created  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    modified DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

-- The library's own time windows (AddWindow), on Django's flags.
-- waffle-window's windows are Django's waffle_window_flagmember.
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

-- The audit trail (docs/audit.md), as in the library's version 3: one row
-- per change made through the library, written in the change's transaction.
-- Changes made in Django's admin write none.
CREATE TABLE IF NOT EXISTS waffle_audit (
    id     INTEGER PRIMARY KEY,
    at     DATETIME NOT NULL,
    actor  TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    kind   TEXT NOT NULL,
    name   TEXT NOT NULL,
    before TEXT,
    after  TEXT
);
CREATE INDEX IF NOT EXISTS waffle_audit_name_idx ON waffle_audit (name, id);
CREATE INDEX IF NOT EXISTS waffle_audit_actor_idx ON waffle_audit (actor, id);
CREATE INDEX IF NOT EXISTS waffle_audit_at_idx ON waffle_audit (at);

-- SetSwitch, SetSample and Set with their entries, in one statement, as in
-- the library's version 3, on Django's waffle_switch and waffle_sample (Django
-- sets no column defaults in the database: note is written as ''). now is the
-- time of created and modified as Django's SQLite backend writes it, at the
-- entry's (fixed-width text).
CREATE VIEW IF NOT EXISTS waffle_switch_audited (name, active, now, at, actor) AS
SELECT NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER IF NOT EXISTS waffle_switch_audited_insert INSTEAD OF INSERT ON waffle_switch_audited
BEGIN
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT NEW.at, NEW.actor, CASE WHEN s.id IS NULL THEN 'create' ELSE 'update' END, 'switch', NEW.name,
        CASE WHEN s.id IS NULL THEN NULL
             ELSE json_object('active', json(CASE WHEN s.active THEN 'true' ELSE 'false' END)) END,
        CASE WHEN s.id IS NULL
             THEN json_object('active', json(CASE WHEN NEW.active THEN 'true' ELSE 'false' END), 'note', '')
             ELSE json_object('active', json(CASE WHEN NEW.active THEN 'true' ELSE 'false' END)) END
    FROM (SELECT 1) LEFT JOIN waffle_switch s ON s.name = NEW.name
    WHERE s.id IS NULL OR s.active IS NOT NEW.active;
    INSERT INTO waffle_switch (name, active, note, created, modified) VALUES (NEW.name, NEW.active, '', NEW.now, NEW.now)
    ON CONFLICT (name) DO UPDATE SET active = excluded.active, modified = excluded.modified;
END;

CREATE VIEW IF NOT EXISTS waffle_sample_audited (name, percent, now, at, actor) AS
SELECT NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER IF NOT EXISTS waffle_sample_audited_insert INSTEAD OF INSERT ON waffle_sample_audited
BEGIN
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT NEW.at, NEW.actor, CASE WHEN s.id IS NULL THEN 'create' ELSE 'update' END, 'sample', NEW.name,
        CASE WHEN s.id IS NULL THEN NULL ELSE json_object('percent', s.percent) END,
        CASE WHEN s.id IS NULL THEN json_object('percent', CAST(NEW.percent AS REAL), 'note', '')
             ELSE json_object('percent', CAST(NEW.percent AS REAL)) END
    FROM (SELECT 1) LEFT JOIN waffle_sample s ON s.name = NEW.name
    WHERE s.id IS NULL OR s.percent IS NOT CAST(NEW.percent AS REAL);
    INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES (NEW.name, NEW.percent, '', NEW.now, NEW.now)
    ON CONFLICT (name) DO UPDATE SET percent = excluded.percent, modified = excluded.modified;
END;

CREATE VIEW IF NOT EXISTS waffle_string_flag_audited (name, value, now, at, actor) AS
SELECT NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER IF NOT EXISTS waffle_string_flag_audited_insert INSTEAD OF INSERT ON waffle_string_flag_audited
BEGIN
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT NEW.at, NEW.actor, CASE WHEN s.id IS NULL THEN 'create' ELSE 'update' END, 'string_flag', NEW.name,
        CASE WHEN s.id IS NULL THEN NULL ELSE json_object('value', s.value) END,
        json_object('value', NEW.value)
    FROM (SELECT 1) LEFT JOIN waffle_string_flag s ON s.name = NEW.name
    WHERE s.id IS NULL OR s.value IS NOT NEW.value;
    INSERT INTO waffle_string_flag (name, value, created, modified) VALUES (NEW.name, NEW.value, NEW.now, NEW.now)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified;
END;

