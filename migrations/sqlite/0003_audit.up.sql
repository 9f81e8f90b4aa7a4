-- waffle schema, version 3: the audit trail (docs/audit.md).
--
-- One row per change made through the library, written in the change's own
-- transaction: who (actor, from waffle.WithActor), when (the configured
-- clock), what (action, kind, name) and the state before and after, as JSON
-- text (only the fields that changed for an update, the whole object for a
-- create or a delete). Rows are never updated; PruneHistory deletes old ones.
-- Pages are read newest first by id (keyset): each filter has an index that
-- ends in id, so a filtered page reads only its own rows. No AUTOINCREMENT:
-- its counter is one more page written with every entry (a quarter of the
-- cost of an audited SetSwitch); an id is used again only after every newer
-- entry was pruned.

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

-- SetSwitch, SetSample and Set with their entries, in one statement: the
-- library inserts into these views, and their INSTEAD OF triggers write the
-- entry (only when the value changes) and then the change. A statement and
-- its triggers are one transaction, and the statement is prepared once per
-- connection, so an audited write costs no extra round trip, BEGIN or
-- COMMIT. now is the time of created and modified (as the driver writes
-- times), at the entry's (fixed-width text).
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
    INSERT INTO waffle_switch (name, active, created, modified) VALUES (NEW.name, NEW.active, NEW.now, NEW.now)
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
    INSERT INTO waffle_sample (name, percent, created, modified) VALUES (NEW.name, NEW.percent, NEW.now, NEW.now)
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

