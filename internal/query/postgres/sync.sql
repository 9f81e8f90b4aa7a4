-- SyncMembership: the WAFFLE_<flag> groups follow the active time windows.
-- Every statement of one flag runs in one transaction, after sync_lock. A
-- window is active at $3 when start_at <= $3 AND (end_at IS NULL OR end_at > $3).

-- name: sync_lock
-- First statement of a flag's transaction: syncs of one flag queue here, in
-- every process (one key per schema and flag name); other flags go on.
SELECT pg_advisory_xact_lock(hashtextextended('waffle.sync.' || current_schema() || '.' || $1, 0));

-- name: sync_flags
-- The flags a sync of every flag covers: those with windows, and those with
-- their WAFFLE_<name> group attached (so that expired members go too).
SELECT f.name FROM waffle_flag f
WHERE EXISTS (SELECT 1 FROM waffle_flag_member m WHERE m.flag_id = f.id)
   OR EXISTS (SELECT 1 FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
              WHERE fg.flag_id = f.id AND g.name = 'WAFFLE_' || f.name)
ORDER BY f.name;

-- name: sync_group_get
SELECT id FROM waffle_group WHERE name = $1;

-- name: sync_group_create
-- No row back means another writer created it first.
INSERT INTO waffle_group (name, created) VALUES ($1, $2)
ON CONFLICT (name) DO NOTHING
RETURNING id;

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
INSERT INTO waffle_group_member (group_id, user_id)
SELECT $1::bigint, missing.user_id FROM (
  SELECT m.user_id FROM waffle_flag_member m
  WHERE m.flag_id = $2 AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3)
  EXCEPT
  SELECT gm.user_id FROM waffle_group_member gm WHERE gm.group_id = $1
) AS missing
ON CONFLICT (group_id, user_id) DO NOTHING;

-- name: sync_count
SELECT count(*) FROM waffle_group_member WHERE group_id = $1;

-- name: sync_user_active
-- Whether user $2 has an active window for flag $1, whichever of its windows.
SELECT EXISTS (
  SELECT 1 FROM waffle_flag_member m
  WHERE m.flag_id = $1 AND m.user_id = $2
    AND m.start_at <= $3 AND (m.end_at IS NULL OR m.end_at > $3));

-- name: sync_user_add
INSERT INTO waffle_group_member (group_id, user_id) VALUES ($1, $2)
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
