-- SyncMembership: the WAFFLE_<flag> groups follow the active time windows.
-- The sync writes its group's members to waffle_sync_member (schema version 1),
-- which has no insert trigger.
-- Every statement of one flag runs in one transaction, after sync_lock. A
-- window is active at ?3 when start_at <= ?3 AND (end_at IS NULL OR end_at > ?3).
-- Where that test filters the windows an index found by flag and user, it
-- reads +start_at and +end_at: without the columns' NUMERIC affinity, SQLite
-- compares the stored text with ?3's text as it is, instead of trying to
-- convert ?3 to a number at every row (a sixth of the time of a first sync's
-- addition). The result is the same: the library stores times as text, which
-- never converts.

-- name: sync_lock
-- First statement of a flag's transaction: the flag's ID (NULL: no such
-- flag), and whether its group ?2 and its state exist (false sends a first
-- sync straight to sync_group_create). BEGIN IMMEDIATE already holds the
-- database's write lock, so syncs queue there (busy timeout and retries).
SELECT (SELECT id FROM waffle_flag WHERE name = ?1),
    EXISTS (SELECT 1 FROM waffle_flag f JOIN waffle_flag_sync s ON s.flag_id = f.id
            JOIN waffle_group g ON g.name = ?2 WHERE f.name = ?1);

-- name: sync_flags
-- The flags a sync of every flag covers: those with windows, and those with
-- their WAFFLE_<name> group attached (so that expired members go too).
SELECT f.name FROM waffle_flag f
WHERE EXISTS (SELECT 1 FROM waffle_flag_member m WHERE m.flag_id = f.id)
   OR EXISTS (SELECT 1 FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
              WHERE fg.flag_id = f.id AND g.name = 'WAFFLE_' || f.name)
ORDER BY f.name;

-- name: sync_group_get
SELECT id FROM waffle_group WHERE name = ?1;

-- name: sync_group_create
-- No row back means another writer created it first. TRUE: the new group
-- may hold stray rows, which sync_group_clear deletes.
INSERT INTO waffle_group (name, created) VALUES (?1, ?2)
ON CONFLICT (name) DO NOTHING
RETURNING id, TRUE;

-- name: sync_group_clear
-- A group the sync just created starts empty: rows of its ID that the
-- foreign key would have refused (a connection without foreign_keys=on
-- stores them, and SQLite reuses a deleted group's ID) go from both member
-- tables (schema version 1), so that the group's members are exactly those the
-- sync adds.
DELETE FROM waffle_group_member_all WHERE group_id = ?1;

-- name: sync_attach
INSERT INTO waffle_flag_group (flag_id, group_id) VALUES (?1, ?2)
ON CONFLICT (flag_id, group_id) DO NOTHING;

-- name: sync_remove
-- Members of group ?1 without an active window for flag ?2: the users whose
-- windows ended, and anyone added by hand.
DELETE FROM waffle_sync_member
WHERE waffle_sync_member.group_id = ?1
  AND NOT EXISTS (
    SELECT 1 FROM waffle_flag_member m
    WHERE m.flag_id = ?2 AND m.user_id = waffle_sync_member.user_id
      AND +m.start_at <= ?3 AND (m.end_at IS NULL OR +m.end_at > ?3));

-- name: sync_add
-- Users with an active window for flag ?2 who are not in group ?1 yet, once
-- each however many windows they have. INDEXED BY: the covering index, in
-- user order (no table lookups, members inserted in key order); without
-- statistics SQLite would take the (flag_id, start_at) index and visit the
-- table for every window (0.36 s instead of 0.19 s for 70,000 members).
-- GROUP BY rather than DISTINCT: SQLite sees that the index already groups
-- the users, where DISTINCT ?1, user_id made it sort them in a temporary
-- B-tree.
INSERT INTO waffle_sync_member (group_id, user_id)
SELECT ?1, m.user_id FROM waffle_flag_member m INDEXED BY waffle_flag_member_sync_idx
WHERE m.flag_id = ?2
  AND +m.start_at <= ?3 AND (m.end_at IS NULL OR +m.end_at > ?3)
  AND NOT EXISTS (
    SELECT 1 FROM waffle_sync_member gm WHERE gm.group_id = ?1 AND gm.user_id = m.user_id)
GROUP BY m.user_id
ON CONFLICT (group_id, user_id) DO NOTHING;

-- name: sync_add_new
-- sync_add for a group this sync created (and cleared): it is empty, so no
-- probe for each user. A user with several active windows is inserted once:
-- the primary key ignores the others (cheaper than GROUP BY, which compares
-- every row with the last).
INSERT OR IGNORE INTO waffle_sync_member (group_id, user_id)
SELECT ?1, m.user_id FROM waffle_flag_member m INDEXED BY waffle_flag_member_sync_idx
WHERE m.flag_id = ?2
  AND +m.start_at <= ?3 AND (m.end_at IS NULL OR +m.end_at > ?3);

-- name: sync_state
-- In one statement, for a flag synced before: its group ?2 (by name), what
-- its last sync left, whether the group is attached to the flag, and whether
-- it has members written by hand (in waffle_group_member: sync_hand_move).
-- No row: the group or the state is missing (sync_state_reset then).
SELECT g.id, s.group_id, s.synced_at, s.members, s.dirty,
    EXISTS (SELECT 1 FROM waffle_flag_group fg WHERE fg.flag_id = ?1 AND fg.group_id = g.id),
    EXISTS (SELECT 1 FROM waffle_group_member gm WHERE gm.group_id = g.id)
FROM waffle_group g JOIN waffle_flag_sync s ON s.flag_id = ?1
WHERE g.name = ?2;

-- name: sync_state_reset
-- For a flag whose group or state sync_state did not find (a first sync, or
-- its group deleted since): the flag's group is ?2 from now on, compared in
-- full at this sync.
-- Back: whether the group is attached to the flag (sync_attach otherwise),
-- and whether it has members written by hand (sync_hand_move).
INSERT INTO waffle_flag_sync (flag_id, group_id, dirty) VALUES (?1, ?2, TRUE)
ON CONFLICT (flag_id) DO UPDATE SET group_id = excluded.group_id, dirty = TRUE
RETURNING EXISTS (SELECT 1 FROM waffle_flag_group fg WHERE fg.flag_id = ?1 AND fg.group_id = ?2),
    EXISTS (SELECT 1 FROM waffle_group_member gm WHERE gm.group_id = ?2);

-- name: sync_hand_move
-- Before a full comparison of group ?1 that has members written by hand
-- (in waffle_group_member): they move to waffle_sync_member, so that the
-- comparison removes those without an active window and counts the others
-- as neither added nor removed. sync_hand_clear then deletes them from
-- waffle_group_member.
INSERT OR IGNORE INTO waffle_sync_member (group_id, user_id)
SELECT group_id, user_id FROM waffle_group_member WHERE group_id = ?1;

-- name: sync_hand_clear
DELETE FROM waffle_group_member WHERE group_id = ?1;

-- name: sync_state_save
-- The flag's group ?2 holds the ?4 users with a window active at ?3.
UPDATE waffle_flag_sync SET group_id = ?2, synced_at = ?3, members = ?4, dirty = FALSE
WHERE flag_id = ?1;

-- name: sync_state_save_count
-- sync_state_save after a full comparison, counting the members.
UPDATE waffle_flag_sync
SET group_id = ?2, synced_at = ?3, dirty = FALSE,
    members = (SELECT count(*) FROM waffle_sync_member WHERE group_id = ?2)
WHERE flag_id = ?1
RETURNING members;

-- name: sync_remove_crossed
-- The incremental form of sync_remove, for a flag whose row is clean: only
-- the users with a window of flag ?2 that started or ended in (?4, ?5],
-- between the last sync's instant and now (?3, one of the two bounds), can
-- have changed; those of them in group ?1 without an active window go.
DELETE FROM waffle_sync_member
WHERE waffle_sync_member.group_id = ?1
  AND waffle_sync_member.user_id IN (
    SELECT m.user_id FROM waffle_flag_member m
    WHERE m.flag_id = ?2 AND m.start_at > ?4 AND m.start_at <= ?5
    UNION
    SELECT m.user_id FROM waffle_flag_member m
    WHERE m.flag_id = ?2 AND m.end_at > ?4 AND m.end_at <= ?5)
  AND NOT EXISTS (
    SELECT 1 FROM waffle_flag_member m
    WHERE m.flag_id = ?2 AND m.user_id = waffle_sync_member.user_id
      AND +m.start_at <= ?3 AND (m.end_at IS NULL OR +m.end_at > ?3));

-- name: sync_add_crossed
-- The incremental form of sync_add: the windows of flag ?2 that started or
-- ended in (?4, ?5] and are active at ?3; their users join group ?1.
INSERT INTO waffle_sync_member (group_id, user_id)
SELECT DISTINCT ?1, c.user_id FROM (
    SELECT m.user_id, m.start_at, m.end_at FROM waffle_flag_member m
    WHERE m.flag_id = ?2 AND m.start_at > ?4 AND m.start_at <= ?5
    UNION ALL
    SELECT m.user_id, m.start_at, m.end_at FROM waffle_flag_member m
    WHERE m.flag_id = ?2 AND m.end_at > ?4 AND m.end_at <= ?5) AS c
WHERE +c.start_at <= ?3 AND (c.end_at IS NULL OR +c.end_at > ?3)
  AND NOT EXISTS (
    SELECT 1 FROM waffle_sync_member gm WHERE gm.group_id = ?1 AND gm.user_id = c.user_id)
ON CONFLICT (group_id, user_id) DO NOTHING;

-- name: sync_user_active
-- Whether user ?2 has an active window for flag ?1, whichever of its windows.
SELECT EXISTS (
  SELECT 1 FROM waffle_flag_member m
  WHERE m.flag_id = ?1 AND m.user_id = ?2
    AND +m.start_at <= ?3 AND (m.end_at IS NULL OR +m.end_at > ?3));

-- name: sync_user_add
-- A user who is not a member yet goes to waffle_group_member, not to the
-- sync's table: its insert trigger marks the flag for a full comparison at
-- its next sync (a write to the group, which waffle_sync_member has no
-- trigger to notice), and that comparison moves the user to the sync's
-- table (sync_hand_move).
INSERT INTO waffle_group_member (group_id, user_id)
SELECT ?1, ?2
WHERE NOT EXISTS (SELECT 1 FROM waffle_sync_member WHERE group_id = ?1 AND user_id = ?2)
ON CONFLICT (group_id, user_id) DO NOTHING;

-- name: sync_user_remove
-- From both member tables (a member written by hand too), through their
-- view (schema version 1).
DELETE FROM waffle_group_member_all WHERE group_id = ?1 AND user_id = ?2;

-- name: sync_savepoint
-- Inside the application's transaction (WithTx), each flag's sync runs under
-- a savepoint, so that one flag's failure undoes only its own statements.
SAVEPOINT waffle_sync;

-- name: sync_savepoint_release
RELEASE SAVEPOINT waffle_sync;

-- name: sync_savepoint_rollback
ROLLBACK TO SAVEPOINT waffle_sync;
