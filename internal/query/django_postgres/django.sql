-- Django mode only: the schema checks of Migrate and waffle-window's sync.

-- name: django_table_exists
SELECT to_regclass($1) IS NOT NULL;

-- name: django_flag_names
SELECT name FROM waffle_flag ORDER BY name COLLATE "C";

-- name: django_sync_lock
-- One sync of a flag at a time across replicas; waits for the other.
SELECT pg_advisory_xact_lock(hashtext('waffle.django_sync.' || current_schema() || '.' || $1));

-- name: django_sync_group
-- Creates the WAFFLE_<name> auth_group of an existing flag when missing
-- (run django_sync_ids next).
INSERT INTO auth_group (name) SELECT 'WAFFLE_' || name FROM waffle_flag WHERE name = $1
ON CONFLICT (name) DO NOTHING;

-- name: django_sync_ids
SELECT f.id, g.id FROM waffle_flag f JOIN auth_group g ON g.name = 'WAFFLE_' || f.name WHERE f.name = $1;

-- name: django_sync_link
INSERT INTO waffle_flag_groups (flag_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: django_sync_remove
-- Members of the group ($2) without a window of the flag ($1) live on $3.
DELETE FROM auth_user_groups ug WHERE ug.group_id = $2
AND NOT EXISTS (SELECT 1 FROM waffle_window_flagmember m
                WHERE m.flag_id = $1 AND m.user_id = ug.user_id AND m.start_date <= $3::date AND m.end_date >= $3::date);

-- name: django_sync_add
INSERT INTO auth_user_groups (user_id, group_id)
SELECT DISTINCT m.user_id, $2::int FROM waffle_window_flagmember m
WHERE m.flag_id = $1 AND m.start_date <= $3::date AND m.end_date >= $3::date
ON CONFLICT DO NOTHING;

-- name: django_sync_count
-- Distinct users with a window of the flag live on $2.
SELECT count(DISTINCT user_id) FROM waffle_window_flagmember WHERE flag_id = $1 AND start_date <= $2::date AND end_date >= $2::date;
