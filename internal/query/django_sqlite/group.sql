-- Django mode: the WAFFLE_<flag> group of DeleteFlag is an auth_group.

-- name: group_delete_members
DELETE FROM auth_user_groups WHERE group_id IN (SELECT id FROM auth_group WHERE name = ?1);

-- name: group_delete_links
DELETE FROM waffle_flag_groups WHERE group_id IN (SELECT id FROM auth_group WHERE name = ?1);

-- name: group_delete
DELETE FROM auth_group WHERE name = ?1;

-- name: group_create
-- auth_group has no created column; ?2 (the time) is unused.
INSERT INTO auth_group (name) SELECT ?1 WHERE ?2 IS NOT NULL ON CONFLICT (name) DO NOTHING;

-- name: group_id
SELECT id FROM auth_group WHERE name = ?1;

-- name: group_list
-- auth_group has no creation time: Created is when Django's auth app was
-- migrated (a DATETIME column, so that the driver returns a time).
SELECT g.id, g.name, m.applied FROM auth_group g
JOIN django_migrations m ON m.id = (SELECT min(id) FROM django_migrations WHERE app = 'auth')
ORDER BY g.name;

-- name: group_members
-- One row with a NULL user for an empty group; no row for a missing one.
SELECT g.id, CAST(m.user_id AS TEXT) FROM auth_group g LEFT JOIN auth_user_groups m ON m.group_id = g.id
WHERE g.name = ?1 ORDER BY m.user_id;

-- name: user_groups
-- ?1 is an auth_user key as text; any other text matches no row.
SELECT g.name FROM auth_user_groups m JOIN auth_group g ON g.id = m.group_id
WHERE CAST(m.user_id AS TEXT) = ?1
ORDER BY g.name;

-- name: group_members_add
INSERT INTO auth_user_groups (group_id, user_id)
SELECT ?1, CAST(u.value AS INTEGER) FROM json_each(?2) AS u WHERE TRUE
ON CONFLICT DO NOTHING;

-- name: group_members_remove
DELETE FROM auth_user_groups WHERE group_id = ?1
AND CAST(user_id AS TEXT) IN (SELECT value FROM json_each(?2));
