-- The audit trail: waffle_audit (schema version 3, docs/audit.md). Entries are
-- written in the change's transaction, and only when something changed.
-- Before and after are JSON text: the fields that changed for an update, the
-- whole object for a create or a delete.

-- name: audit_insert
-- An entry computed by the library: $1 time, $2 actor, $3 action, $4 kind,
-- $5 name, $6 and $7 the JSON before and after (NULL for none).
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: switch_set_audited
-- SetSwitch with its entry, in one statement: old locks the row (FOR UPDATE
-- waits for a concurrent writer and returns its committed version), upd
-- rewrites it and returns the old value, ins creates a switch that did not
-- exist. The entry is written only when the value changed. 0 back: another
-- transaction created the switch after old looked, and the caller runs the
-- statement again (it is then an update).
WITH old AS (
    SELECT id, active FROM waffle_switch WHERE name = $1 FOR UPDATE),
upd AS (
    UPDATE waffle_switch s SET active = $2, modified = $3 FROM old WHERE s.id = old.id
    RETURNING old.active AS before),
ins AS (
    INSERT INTO waffle_switch (name, active, created, modified)
    SELECT $1, $2, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM old)
    ON CONFLICT (name) DO NOTHING
    RETURNING note),
aud AS (
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT $3, $4, 'update', 'switch', $1, json_build_object('active', before)::text,
        json_build_object('active', $2::boolean)::text
    FROM upd WHERE before IS DISTINCT FROM $2::boolean
    UNION ALL
    SELECT $3, $4, 'create', 'switch', $1, NULL,
        json_build_object('active', $2::boolean, 'note', note)::text
    FROM ins)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins);

-- name: sample_set_audited
-- SetSample with its entry: see switch_set_audited.
WITH old AS (
    SELECT id, percent FROM waffle_sample WHERE name = $1 FOR UPDATE),
upd AS (
    UPDATE waffle_sample s SET percent = $2, modified = $3 FROM old WHERE s.id = old.id
    RETURNING old.percent AS before),
ins AS (
    INSERT INTO waffle_sample (name, percent, created, modified)
    SELECT $1, $2, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM old)
    ON CONFLICT (name) DO NOTHING
    RETURNING note),
aud AS (
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT $3, $4, 'update', 'sample', $1, json_build_object('percent', before)::text,
        json_build_object('percent', $2::double precision)::text
    FROM upd WHERE before IS DISTINCT FROM $2::double precision
    UNION ALL
    SELECT $3, $4, 'create', 'sample', $1, NULL,
        json_build_object('percent', $2::double precision, 'note', note)::text
    FROM ins)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins);

-- name: string_flag_set_audited
-- Set with its entry: see switch_set_audited. $2 NULL stores NULL.
WITH old AS (
    SELECT id, value FROM waffle_string_flag WHERE name = $1 FOR UPDATE),
upd AS (
    UPDATE waffle_string_flag s SET value = $2, modified = $3 FROM old WHERE s.id = old.id
    RETURNING old.value AS before),
ins AS (
    INSERT INTO waffle_string_flag (name, value, created, modified)
    SELECT $1, $2, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM old)
    ON CONFLICT (name) DO NOTHING
    RETURNING id),
aud AS (
    INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
    SELECT $3, $4, 'update', 'string_flag', $1, json_build_object('value', before)::text,
        json_build_object('value', $2::text)::text
    FROM upd WHERE before IS DISTINCT FROM $2::text
    UNION ALL
    SELECT $3, $4, 'create', 'string_flag', $1, NULL, json_build_object('value', $2::text)::text
    FROM ins)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins);

-- name: audit_string_flag_lock
-- SetFromJSON's first statement: no other transaction writes string flags
-- until this one ends (SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE
-- lock of every INSERT, UPDATE and DELETE, and with itself; reads go on).
-- The entries' statement then reads exactly the rows the upsert rewrites,
-- without locking 10,000 rows one by one, and a key created by another
-- transaction meanwhile cannot be mistaken for a new one.
LOCK TABLE waffle_string_flag IN SHARE ROW EXCLUSIVE MODE;

-- name: audit_string_flag_set_many
-- SetFromJSON with its entries, after audit_string_flag_lock in the same
-- transaction: the upsert of string_flag_set_many ($1 names, $2 values, $3
-- time) and one entry per name whose value changes, in the input's order
-- ($4 actor, $5 the entry's time), in one statement. Every part of it reads
-- the snapshot taken before it, so the entries see the rows as they were
-- before the upsert; the names and values are sent and unnested once.
WITH t AS (
    SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t (name, value, n)),
up AS (
    INSERT INTO waffle_string_flag (name, value, created, modified)
    SELECT name, value, $3, $3 FROM t
    ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified)
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT $5, $4, CASE WHEN s.id IS NULL THEN 'create' ELSE 'update' END, 'string_flag', t.name,
    CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object('value', s.value)::text END,
    json_build_object('value', t.value)::text
FROM t LEFT JOIN waffle_string_flag s ON s.name = t.name
WHERE s.id IS NULL OR s.value IS DISTINCT FROM t.value
ORDER BY t.n;

-- name: audit_switch_delete
-- The entry of a delete, before it in the same transaction: the row locked,
-- its whole state. $2 time, $3 actor.
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT $2, $3, 'delete', 'switch', name, json_build_object('active', active, 'note', note)::text, NULL
FROM waffle_switch WHERE name = $1 FOR UPDATE;

-- name: audit_sample_delete
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT $2, $3, 'delete', 'sample', name, json_build_object('percent', percent, 'note', note)::text, NULL
FROM waffle_sample WHERE name = $1 FOR UPDATE;

-- name: audit_string_flag_delete
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT $2, $3, 'delete', 'string_flag', name, json_build_object('value', value)::text, NULL
FROM waffle_string_flag WHERE name = $1 FOR UPDATE;

-- name: audit_group_create_many
-- The groups a flag's save creates ($1 a JSON array of names), before
-- group_create_many in the same transaction.
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT $2, $3, 'create', 'group', u, NULL, '{"members":[]}'
FROM jsonb_array_elements_text($1::text::jsonb) AS u
WHERE NOT EXISTS (SELECT 1 FROM waffle_group g WHERE g.name = u);

-- name: audit_flag_old
-- A flag's library fields, its row locked, for the entry of a change.
SELECT id, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note
FROM waffle_flag WHERE name = $1 FOR UPDATE;

-- name: audit_name_lock
-- Serialises the creations of one object that does not exist yet ($1 its
-- kind and name), until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- name: audit_flag_users_among
-- Which of the IDs $2 (a JSON array) flag $1 lists.
SELECT user_id FROM waffle_flag_user
WHERE flag_id = $1 AND user_id IN (SELECT jsonb_array_elements_text($2::text::jsonb));

-- name: audit_flag_groups_among
-- Which of the group names $2 (a JSON array) flag $1 lists.
SELECT g.name FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
WHERE fg.flag_id = $1 AND g.name IN (SELECT jsonb_array_elements_text($2::text::jsonb));

-- name: audit_group_members_among
-- Which of the user IDs $2 (a JSON array) are members of group $1.
SELECT user_id FROM waffle_group_member
WHERE group_id = $1 AND user_id IN (SELECT jsonb_array_elements_text($2::text::jsonb));

-- name: audit_sync_user_member
-- Whether user $2 is a member of group $1, before SyncUserMembership
-- changes it (the sync's lock is held).
SELECT EXISTS (SELECT 1 FROM waffle_group_member WHERE group_id = $1 AND user_id = $2);

-- name: audit_window_old
-- A window as it is, locked, for the entry of its update or delete.
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id = $1 FOR UPDATE OF m;

-- name: history
-- A page of entries, newest first, older than the cursor $1 (keyset). $2
-- kind, $3 name, $4 actor ('' for any), $5 and $6 the time range [since,
-- until) (NULL: no bound), $7 the limit. history_name, history_actor and
-- history_time are the same page through the index of their filter. The
-- filters that are not given fold away in the plan of each execution (a
-- custom plan; the generic plan, which cannot know which are given, costs
-- more and is never chosen), so that the planner sees the real selectivity:
-- a page of a common actor walks the primary key backwards, a rare one its
-- index.
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit
WHERE id < $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR name = $3) AND ($4 = '' OR actor = $4)
  AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
ORDER BY id DESC LIMIT $7;

-- name: history_name
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit
WHERE name = $3 AND id < $1 AND ($2 = '' OR kind = $2) AND ($4 = '' OR actor = $4)
  AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
ORDER BY id DESC LIMIT $7;

-- name: history_last_id
-- The greatest id, 0 when there is none. Used on SQLite, whose name index
-- leads with a bucket of id (schema version 5); PostgreSQL's is (name, id).
SELECT coalesce(max(id), 0) FROM waffle_audit;

-- name: history_actor
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit
WHERE actor = $4 AND id < $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR name = $3)
  AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
ORDER BY id DESC LIMIT $7;

-- name: history_time
-- A time range without name or actor: the entries of the range through the
-- time index (BRIN), the newest of them first. "id + 0" keeps the planner
-- from walking the primary key backwards through every newer entry.
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit
WHERE at >= coalesce($5::timestamptz, '-infinity') AND at < coalesce($6::timestamptz, 'infinity') AND id < $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR name = $3)
  AND ($4 = '' OR actor = $4)
ORDER BY id + 0 DESC LIMIT $7;

-- name: history_prune
DELETE FROM waffle_audit WHERE at < $1;

-- name: audit_flag_ramp_old
-- A flag's stored ramp before SetFlagRamp changes it (the row locked).
SELECT ramp FROM waffle_flag WHERE name = $1 FOR UPDATE;
