-- The audit trail: waffle_audit (schema version 3, docs/audit.md). Entries are
-- written in the change's transaction, and only when something changed.
-- Before and after are JSON text: the fields that changed for an update, the
-- whole object for a create or a delete. On SQLite the entry's statement
-- runs just before the change's, in one transaction (BEGIN IMMEDIATE holds
-- the database's write lock, so the row read is the row the change
-- rewrites), or in a trigger of the same statement.

-- name: audit_insert
-- An entry computed by the library: ?1 time, ?2 actor, ?3 action, ?4 kind,
-- ?5 name, ?6 and ?7 the JSON before and after (NULL for none).
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);

-- name: switch_set_audited
-- SetSwitch with its entry, in one statement: the view's trigger (migration
-- 5) writes the entry when the value changes, then the switch. ?1 name, ?2
-- active, ?3 time, ?4 actor, ?5 the entry's time as text.
INSERT INTO waffle_switch_audited (name, active, now, at, actor) VALUES (?1, ?2, ?3, ?5, ?4);

-- name: sample_set_audited
INSERT INTO waffle_sample_audited (name, percent, now, at, actor) VALUES (?1, ?2, ?3, ?5, ?4);

-- name: string_flag_set_audited
INSERT INTO waffle_string_flag_audited (name, value, now, at, actor) VALUES (?1, ?2, ?3, ?5, ?4);

-- name: audit_string_flag_lock
-- Not sent: BEGIN IMMEDIATE already holds the database's write lock.
-- Defined for the dialects to have the same names.
SELECT 1;

-- name: audit_string_flag_set_many
-- SetFromJSON's entries, before string_flag_set_many: one per name of the
-- JSON object ?1 whose value changes, in the object's order. ?3 time, ?4
-- actor (?2 is unused, as in string_flag_set_many).
-- The JSON is built by concatenation around json_quote, the text
-- json_object('value', v) gives, at about two thirds of its cost.
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT ?3, ?4, CASE WHEN s.id IS NULL THEN 'create' ELSE 'update' END, 'string_flag', j.key,
    CASE WHEN s.id IS NULL THEN NULL ELSE '{"value":' || json_quote(s.value) || '}' END,
    '{"value":' || json_quote(j.value) || '}'
FROM json_each(?1) AS j LEFT JOIN waffle_string_flag s ON s.name = j.key
WHERE (s.id IS NULL OR s.value IS NOT j.value) AND coalesce(?2, 1)
ORDER BY j.id;

-- name: audit_switch_delete
-- The entry of a delete, before it in the same transaction: the row's whole
-- state. ?2 time, ?3 actor.
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT ?2, ?3, 'delete', 'switch', name,
    json_object('active', json(CASE WHEN active THEN 'true' ELSE 'false' END), 'note', note), NULL
FROM waffle_switch WHERE name = ?1;

-- name: audit_sample_delete
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT ?2, ?3, 'delete', 'sample', name, json_object('percent', percent, 'note', note), NULL
FROM waffle_sample WHERE name = ?1;

-- name: audit_string_flag_delete
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT ?2, ?3, 'delete', 'string_flag', name, json_object('value', value), NULL
FROM waffle_string_flag WHERE name = ?1;

-- name: audit_group_create_many
-- The groups a flag's save creates (?1 a JSON array of names), before
-- group_create_many in the same transaction.
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT ?2, ?3, 'create', 'group', j.value, NULL, '{"members":[]}'
FROM json_each(?1) AS j
WHERE NOT EXISTS (SELECT 1 FROM waffle_group g WHERE g.name = j.value);

-- name: audit_flag_old
-- A flag's library fields, for the entry of a change.
SELECT id, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note
FROM waffle_flag WHERE name = ?1;

-- name: audit_name_lock
-- Not sent: BEGIN IMMEDIATE already serialises every writer. Defined for
-- the dialects to have the same names.
SELECT ?1 IS NOT NULL;

-- name: audit_flag_users_among
-- Which of the IDs ?2 (a JSON array) flag ?1 lists.
SELECT user_id FROM waffle_flag_user
WHERE flag_id = ?1 AND user_id IN (SELECT value FROM json_each(?2));

-- name: audit_flag_groups_among
-- Which of the group names ?2 (a JSON array) flag ?1 lists.
SELECT g.name FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
WHERE fg.flag_id = ?1 AND g.name IN (SELECT value FROM json_each(?2));

-- name: audit_group_members_among
-- Which of the user IDs ?2 (a JSON array) are members of group ?1, in both
-- member tables (migration 4).
SELECT user_id FROM waffle_group_member_all
WHERE group_id = ?1 AND user_id IN (SELECT value FROM json_each(?2));

-- name: audit_sync_user_member
-- Whether user ?2 is a member of group ?1, before SyncUserMembership
-- changes it (the sync's lock is held).
SELECT EXISTS (SELECT 1 FROM waffle_group_member_all WHERE group_id = ?1 AND user_id = ?2);

-- name: audit_window_old
-- A window as it is, for the entry of its update or delete.
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id = ?1;

-- name: history
-- A page of entries, newest first, older than the cursor ?1 (keyset). ?2
-- kind, ?3 name, ?4 actor ('' for any), ?5 and ?6 the time range [since,
-- until) as fixed-width text (NULL: no bound), ?7 the limit. history_name, history_actor and
-- history_time are the same page through the index of their filter.
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit
WHERE id < ?1 AND (?2 = '' OR kind = ?2) AND (?3 = '' OR name = ?3) AND (?4 = '' OR actor = ?4)
  AND (?5 IS NULL OR +at >= ?5) AND (?6 IS NULL OR +at < ?6)
ORDER BY id DESC LIMIT ?7;

-- name: history_name
-- The entries of name ?3 in bucket ?8 (ids ?8 << 16 to ((?8 + 1) << 16) - 1,
-- schema version 5), newest first: History runs it bucket by bucket from
-- the newest (history_last_id's) down, until the page is full.
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit INDEXED BY waffle_audit_bucket_name_idx
WHERE (id >> 16) = ?8 AND name = ?3 AND id < ?1 AND (?2 = '' OR kind = ?2) AND (?4 = '' OR actor = ?4)
  AND (?5 IS NULL OR +at >= ?5) AND (?6 IS NULL OR +at < ?6)
ORDER BY id DESC LIMIT ?7;

-- name: history_last_id
-- The greatest id, 0 when there is none: the newest bucket of history_name.
SELECT coalesce(max(id), 0) FROM waffle_audit;

-- name: history_actor
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit INDEXED BY waffle_audit_actor_idx
WHERE actor = ?4 AND id < ?1 AND (?2 = '' OR kind = ?2) AND (?3 = '' OR name = ?3)
  AND (?5 IS NULL OR +at >= ?5) AND (?6 IS NULL OR +at < ?6)
ORDER BY id DESC LIMIT ?7;

-- name: history_time
-- A time range without name or actor: the entries of the range through the
-- time index, the newest of them first.
SELECT id, at, actor, action, kind, name, before, after FROM waffle_audit INDEXED BY waffle_audit_at_idx
WHERE at >= coalesce(?5, '') AND at < coalesce(?6, '9999-12-31 23:59:59.999999+00:00') AND id < ?1 AND (?2 = '' OR kind = ?2) AND (?3 = '' OR name = ?3)
  AND (?4 = '' OR actor = ?4)
ORDER BY id DESC LIMIT ?7;

-- name: history_prune
DELETE FROM waffle_audit WHERE at < ?1;

-- name: audit_flag_ramp_old
-- A flag's stored ramp before SetFlagRamp changes it (BEGIN IMMEDIATE holds the write lock).
SELECT ramp FROM waffle_flag WHERE name = ?1;
