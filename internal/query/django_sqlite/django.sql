-- Django mode only: the schema checks of Migrate and waffle-window's sync.

-- name: django_table_exists
SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1);

-- name: django_flag_names
SELECT name FROM waffle_flag ORDER BY name;

-- name: django_sync_lock
-- BEGIN IMMEDIATE already holds the database's write lock: nothing to add.
SELECT ?1 IS NOT NULL;

-- name: django_sync_group
-- The flag's id and its WAFFLE_<name> auth_group, created when missing.
-- Creates the WAFFLE_<name> auth_group of an existing flag when missing
-- (run django_sync_ids next).
INSERT INTO auth_group (name) SELECT 'WAFFLE_' || name FROM waffle_flag WHERE name = ?1
ON CONFLICT (name) DO NOTHING;

-- name: django_sync_ids
SELECT f.id, g.id FROM waffle_flag f JOIN auth_group g ON g.name = 'WAFFLE_' || f.name WHERE f.name = ?1;

-- name: django_sync_link
INSERT INTO waffle_flag_groups (flag_id, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING;

-- name: django_sync_remove
-- Members of the group (?2) without a window of the flag (?1) live on ?3.
DELETE FROM auth_user_groups WHERE group_id = ?2
AND NOT EXISTS (SELECT 1 FROM waffle_window_flagmember m
                WHERE m.flag_id = ?1 AND m.user_id = auth_user_groups.user_id AND m.start_date <= ?3 AND m.end_date >= ?3);

-- name: django_sync_add
INSERT INTO auth_user_groups (user_id, group_id)
SELECT DISTINCT m.user_id, ?2 FROM waffle_window_flagmember m
WHERE m.flag_id = ?1 AND m.start_date <= ?3 AND m.end_date >= ?3
ON CONFLICT DO NOTHING;

-- name: django_sync_count
-- Distinct users with a window of the flag live on ?2.
SELECT count(DISTINCT user_id) FROM waffle_window_flagmember WHERE flag_id = ?1 AND start_date <= ?2 AND end_date >= ?2;
