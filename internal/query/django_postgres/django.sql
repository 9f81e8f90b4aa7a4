-- Django mode only: the schema checks of Migrate and waffle-window's sync.

-- name: django_table_exists
SELECT to_regclass($1) IS NOT NULL;

-- name: django_flag_times
-- Rewrites a row's times in Django's form (used on SQLite, after Save).
UPDATE waffle_flag SET created = $2, modified = $3 WHERE name = $1;

-- name: django_switch_times
UPDATE waffle_switch SET created = $2, modified = $3 WHERE name = $1;

-- name: django_sample_times
UPDATE waffle_sample SET created = $2, modified = $3 WHERE name = $1;

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
-- Members of the group ($2) without a window of the flag ($1) live today
-- ($3, a date in Django's TIME_ZONE) in waffle_window_flagmember, nor one
-- of the library's own windows live now ($4).
DELETE FROM auth_user_groups ug WHERE ug.group_id = $2
AND NOT EXISTS (SELECT 1 FROM waffle_window_flagmember m
                WHERE m.flag_id = $1 AND m.user_id = ug.user_id AND m.start_date <= $3::date AND m.end_date >= $3::date)
AND NOT EXISTS (SELECT 1 FROM waffle_flag_member w
                WHERE w.flag_id = $1 AND w.user_id = ug.user_id::text AND w.start_at <= $4 AND (w.end_at IS NULL OR w.end_at > $4));

-- name: django_sync_add
-- The users of django_sync_live missing from the group.
INSERT INTO auth_user_groups (user_id, group_id)
SELECT live.user_id, $2::int FROM (
    SELECT m.user_id FROM waffle_window_flagmember m
    WHERE m.flag_id = $1 AND m.start_date <= $3::date AND m.end_date >= $3::date
    UNION
    SELECT w.user_id::bigint FROM waffle_flag_member w
    WHERE w.flag_id = $1 AND w.user_id ~ '^[1-9][0-9]{0,17}$' AND w.start_at <= $4 AND (w.end_at IS NULL OR w.end_at > $4)
) live
WHERE EXISTS (SELECT 1 FROM auth_user a WHERE a.id = live.user_id)
ON CONFLICT DO NOTHING;

-- name: django_sync_count
-- The group's members after the sync: the distinct users with a live window.
SELECT count(*) FROM auth_user_groups WHERE group_id = $1;

-- name: django_sync_user_active
-- Whether user $2 (an auth_user key) has a live window of flag $1.
SELECT EXISTS (SELECT 1 FROM waffle_window_flagmember m
               WHERE m.flag_id = $1 AND m.user_id = $2::bigint AND m.start_date <= $3::date AND m.end_date >= $3::date)
    OR EXISTS (SELECT 1 FROM waffle_flag_member w
               WHERE w.flag_id = $1 AND w.user_id = $2::bigint::text AND w.start_at <= $4 AND (w.end_at IS NULL OR w.end_at > $4));

-- name: django_sync_user_add
INSERT INTO auth_user_groups (user_id, group_id) VALUES ($2::bigint, $1::int) ON CONFLICT DO NOTHING;

-- name: django_sync_user_remove
DELETE FROM auth_user_groups WHERE group_id = $1 AND user_id = $2::bigint;

-- name: django_users_missing
-- The first of the auth_user keys $1 (a JSON array of decimal keys) that
-- no auth_user row has; no row when every one exists.
SELECT a.u FROM jsonb_array_elements_text($1::text::jsonb) WITH ORDINALITY AS a (u, i)
WHERE NOT EXISTS (SELECT 1 FROM auth_user WHERE id = a.u::bigint)
ORDER BY a.i LIMIT 1;
