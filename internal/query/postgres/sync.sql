-- SyncMembership: the WAFFLE_<flag> groups follow the active time windows.
-- Every statement of one flag runs in one transaction, after sync_lock. A
-- window is active at $3 when start_at <= $3 AND (end_at IS NULL OR end_at > $3).

-- name: sync_lock
-- First statement of a flag's transaction: syncs of one flag queue here, in
-- every process (one key per schema and flag name); other flags go on. Then
-- the flag's ID (NULL: no such flag), and whether its group $2 and its state
-- existed: false sends a first sync straight to sync_group_create. Only a
-- hint, read in a snapshot taken before the lock was granted: should it be
-- wrong either way, sync_state finds no row, or sync_group_create finds the
-- group and sync_state_reset the state, and the sync compares in full.
SELECT (SELECT id FROM waffle_flag WHERE name = $1),
    EXISTS (SELECT 1 FROM waffle_flag f JOIN waffle_flag_sync s ON s.flag_id = f.id
            JOIN waffle_group g ON g.name = $2 WHERE f.name = $1)
FROM (SELECT pg_advisory_xact_lock(hashtextextended('waffle.sync.' || current_schema() || '.' || $1, 0))) AS locked;

-- name: sync_flags
-- The flags a sync of every flag covers: those with windows, and those with
-- their WAFFLE_<name> group attached (so that expired members go too).
SELECT f.name FROM waffle_flag f
WHERE EXISTS (SELECT 1 FROM waffle_flag_member m WHERE m.flag_id = f.id)
   OR EXISTS (SELECT 1 FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
              WHERE fg.flag_id = f.id AND g.name = 'WAFFLE_' || f.name)
ORDER BY f.name;

-- name: sync_group_get
-- FOR KEY SHARE: the group cannot be deleted until the sync commits (what
-- a foreign key from its members would hold).
SELECT id FROM waffle_group WHERE name = $1 FOR KEY SHARE;

-- name: sync_group_create
-- No row back means another writer created it first. FALSE: the new group
-- holds no stray rows, so sync_group_clear is not needed. Its ID comes from
-- a sequence and was never used, and the schema's trigger refuses a member
-- of a group that does not exist, as a foreign key would. (A DELETE here
-- was a sequential scan whenever the members' statistics said the table was
-- empty, and PostgreSQL kept that plan while a first sync of every flag
-- filled it: the sync grew quadratically.)
INSERT INTO waffle_group (name, created) VALUES ($1, $2)
ON CONFLICT (name) DO NOTHING
RETURNING id, FALSE;

-- name: sync_group_clear
-- Not needed here (see sync_group_create); SQLite's can be.
DELETE FROM waffle_group_member WHERE group_id = $1;

-- name: sync_attach
INSERT INTO waffle_flag_group (flag_id, group_id) VALUES ($1, $2)
ON CONFLICT (flag_id, group_id) DO NOTHING;

-- name: sync_remove
-- Members of group $1 without an active window for flag $2: the users whose
-- windows ended, and anyone added by hand. The set difference runs first,
-- over two index-only scans; the delete then touches only the rows that go.
DELETE FROM waffle_group_member
WHERE group_id = $1
  AND user_id = ANY (ARRAY(
    SELECT gm.user_id FROM waffle_group_member gm WHERE gm.group_id = $1
    EXCEPT
    SELECT m.user_id FROM waffle_flag_member m
    WHERE m.flag_id = $2 AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3)));

-- name: sync_add
-- Users with an active window for flag $2 who are not in group $1 yet, once
-- each however many windows they have. EXCEPT, rather than NOT EXISTS, keeps
-- the plan linear (a hashed or sorted set difference) even when the
-- statistics still say the group is empty, as during the first sync.
-- No ON CONFLICT (it made this statement 1.6 times as slow: a speculative
-- insertion per row), and none needed: every writer of the group's members
-- locks the flag's waffle_flag_sync row (the schema's triggers), which this
-- sync holds. Another writer's rows were therefore committed before the set
-- difference was read, and are left out of it, or that writer waits for
-- this sync to commit. (Should it have inserted one of these rows before
-- waiting, PostgreSQL reports a deadlock to one of the two, as it would with
-- ON CONFLICT, which waits for the other transaction too.)
INSERT INTO waffle_group_member (group_id, user_id, synced)
SELECT $1::bigint, missing.user_id, TRUE FROM (
  SELECT m.user_id FROM waffle_flag_member m
  WHERE m.flag_id = $2 AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3)
  EXCEPT
  SELECT gm.user_id FROM waffle_group_member gm WHERE gm.group_id = $1
) AS missing;

-- name: sync_add_new
-- sync_add for a group this sync created: it is empty (see
-- sync_group_create), so no set difference. The one in sync_add would read
-- the group's members by a sequential scan while the statistics still say
-- the table is empty, as they do during a first sync of many flags: each
-- flag's scan would read the members that the flags before it added.
INSERT INTO waffle_group_member (group_id, user_id, synced)
SELECT $1::bigint, m.user_id, TRUE FROM waffle_flag_member m
WHERE m.flag_id = $2 AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3)
GROUP BY m.user_id;

-- name: sync_state
-- In one statement, for a flag synced before: its group $2 (by name), what
-- its last sync left, and whether the group is attached to the flag. No row:
-- the group or the state is missing (sync_state_reset then). FOR KEY SHARE
-- OF g: the group cannot be deleted until the sync commits (see
-- sync_group_get). FOR NO KEY UPDATE OF s: a statement that changes the
-- flag's windows or members marks this row dirty (the schema's triggers)
-- and so waits until this sync commits; one that changed them first has
-- marked it dirty already.
SELECT g.id, s.group_id, s.synced_at, s.members, s.dirty,
    EXISTS (SELECT 1 FROM waffle_flag_group fg WHERE fg.flag_id = $1 AND fg.group_id = g.id),
    FALSE -- members written by hand are in waffle_group_member already: see sync_hand_move
FROM waffle_group g JOIN waffle_flag_sync s ON s.flag_id = $1
WHERE g.name = $2
FOR KEY SHARE OF g FOR NO KEY UPDATE OF s;

-- name: sync_state_reset
-- For a flag whose group or state sync_state did not find (a first sync, or
-- its group deleted since): the flag's group is $2 from now on, compared in
-- full at this sync. The upsert locks the row, as sync_state does: a
-- statement that changes the flag's windows or members marks it dirty
-- (the schema's triggers) and so waits until this sync commits.
-- In the same statement, the group is attached to the flag (TRUE back:
-- sync_attach has nothing left to do; FALSE: no members to move, see
-- sync_hand_move).
WITH attached AS (
  INSERT INTO waffle_flag_group (flag_id, group_id) VALUES ($1, $2)
  ON CONFLICT (flag_id, group_id) DO NOTHING
)
INSERT INTO waffle_flag_sync (flag_id, group_id, dirty) VALUES ($1, $2, TRUE)
ON CONFLICT (flag_id) DO UPDATE SET group_id = EXCLUDED.group_id, dirty = TRUE
RETURNING TRUE, FALSE;

-- name: sync_hand_move
-- Never sent here: PostgreSQL keeps the sync's members and those written by
-- hand in one table, waffle_group_member, and the full comparison removes the
-- latter directly; sync_state and sync_state_reset report no members to move.
-- SQLite keeps them apart (its schema version 1).
SELECT $1::bigint WHERE FALSE;

-- name: sync_hand_clear
-- Never sent here: see sync_hand_move.
SELECT $1::bigint WHERE FALSE;

-- name: sync_state_save
-- The flag's group $2 holds the $4 users with a window active at $3.
UPDATE waffle_flag_sync SET group_id = $2, synced_at = $3, members = $4, dirty = FALSE
WHERE flag_id = $1;

-- name: sync_state_save_count
-- sync_state_save after a full comparison, counting the members.
UPDATE waffle_flag_sync
SET group_id = $2, synced_at = $3, dirty = FALSE,
    members = (SELECT count(*) FROM waffle_group_member WHERE group_id = $2)
WHERE flag_id = $1
RETURNING members;

-- name: sync_remove_crossed
-- The incremental form of sync_remove, for a flag whose row is clean: only
-- the users with a window of flag $2 that started or ended in ($4, $5],
-- between the last sync's instant and now ($3, one of the two bounds), can
-- have changed; those of them in group $1 without an active window go.
DELETE FROM waffle_group_member
WHERE waffle_group_member.group_id = $1
  AND waffle_group_member.user_id IN (
    SELECT m.user_id FROM waffle_flag_member m
    WHERE m.flag_id = $2 AND m.start_at > $4 AND m.start_at <= $5
    UNION
    SELECT m.user_id FROM waffle_flag_member m
    WHERE m.flag_id = $2 AND m.end_at > $4 AND m.end_at <= $5)
  AND NOT EXISTS (
    SELECT 1 FROM waffle_flag_member m
    WHERE m.flag_id = $2 AND m.user_id = waffle_group_member.user_id
      AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3));

-- name: sync_add_crossed
-- The incremental form of sync_add: the windows of flag $2 that started or
-- ended in ($4, $5] and are active at $3; their users join group $1.
INSERT INTO waffle_group_member (group_id, user_id, synced)
SELECT DISTINCT $1::bigint, c.user_id, TRUE FROM (
    SELECT m.user_id, m.start_at, m.end_at FROM waffle_flag_member m
    WHERE m.flag_id = $2 AND m.start_at > $4 AND m.start_at <= $5
    UNION ALL
    SELECT m.user_id, m.start_at, m.end_at FROM waffle_flag_member m
    WHERE m.flag_id = $2 AND m.end_at > $4 AND m.end_at <= $5) AS c
WHERE c.start_at <= $3 AND (c.end_at IS NULL OR c.end_at > $3)
  AND NOT EXISTS (
    SELECT 1 FROM waffle_group_member gm WHERE gm.group_id = $1 AND gm.user_id = c.user_id)
ON CONFLICT (group_id, user_id) DO NOTHING;

-- name: sync_user_active
-- Whether user $2 has an active window for flag $1, whichever of its windows.
SELECT EXISTS (
  SELECT 1 FROM waffle_flag_member m
  WHERE m.flag_id = $1 AND m.user_id = $2
    AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3));

-- name: sync_user_add
INSERT INTO waffle_group_member (group_id, user_id, synced) VALUES ($1, $2, TRUE)
ON CONFLICT (group_id, user_id) DO NOTHING;

-- name: sync_user_remove
DELETE FROM waffle_group_member WHERE group_id = $1 AND user_id = $2;

-- name: sync_savepoint
-- Inside the application's transaction (WithTx), each flag's sync runs under
-- a savepoint, so that one flag's failure undoes only its own statements and
-- leaves the transaction usable for the next flag.
SAVEPOINT waffle_sync;

-- name: sync_savepoint_release
RELEASE SAVEPOINT waffle_sync;

-- name: sync_savepoint_rollback
ROLLBACK TO SAVEPOINT waffle_sync;
