-- Groups: waffle_group and its members, waffle_group_member.

-- name: group_create
INSERT INTO waffle_group (name, created) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING;

-- name: group_create_many
-- ?1: a JSON array of names.
INSERT INTO waffle_group (name, created) SELECT value, ?2 FROM json_each(?1) WHERE true
ON CONFLICT (name) DO NOTHING;

-- name: group_id
SELECT id FROM waffle_group WHERE name = ?1;

-- name: group_list
SELECT id, name, created FROM waffle_group ORDER BY name;

-- name: group_members
-- One row with a NULL user for an empty group; no row for a missing one.
-- Both member tables (schema version 1), each read by its primary key.
SELECT g.id, m.user_id FROM waffle_group g LEFT JOIN waffle_group_member m ON m.group_id = g.id
WHERE g.name = ?1
UNION
SELECT g.id, m.user_id FROM waffle_group g JOIN waffle_sync_member m ON m.group_id = g.id
WHERE g.name = ?1
ORDER BY 2;

-- name: user_groups
-- The groups filled by hand, through waffle_group_member_by_user
-- (schema version 1), and the WAFFLE_ groups, each probed by the primary key of
-- waffle_sync_member (schema version 1).
SELECT g.name FROM waffle_group_member_by_user m JOIN waffle_group g ON g.id = m.group_id
WHERE m.user_id = ?1
UNION
SELECT g.name FROM waffle_group g
JOIN waffle_sync_member m ON m.group_id = g.id AND m.user_id = ?1
WHERE substr(g.name, 1, 7) = 'WAFFLE_'
ORDER BY 1;

-- name: group_members_add
INSERT INTO waffle_group_member (group_id, user_id)
SELECT ?1, value FROM json_each(?2) WHERE true
ON CONFLICT DO NOTHING;

-- name: group_members_remove
-- From both member tables (schema version 1), through their view.
DELETE FROM waffle_group_member_all WHERE group_id = ?1 AND user_id IN (SELECT value FROM json_each(?2));

-- name: group_delete_members
DELETE FROM waffle_group_member WHERE group_id IN (SELECT id FROM waffle_group WHERE name = ?1);

-- name: group_delete_links
DELETE FROM waffle_flag_group WHERE group_id IN (SELECT id FROM waffle_group WHERE name = ?1);

-- name: group_delete
DELETE FROM waffle_group WHERE name = ?1;

-- name: group_members_page
-- One page of a group's members (?1 the group's name), from both member
-- tables, that contain ?2, after ?3, at most ?4, each with the number of
-- matching members, counted once. A group without a matching member gives
-- one row whose user is NULL; no row: no such group.
WITH g AS (SELECT id FROM waffle_group WHERE name = ?1),
m AS (SELECT user_id FROM waffle_group_member WHERE group_id = (SELECT id FROM g)
      UNION SELECT user_id FROM waffle_sync_member WHERE group_id = (SELECT id FROM g)),
hit AS (SELECT user_id FROM m WHERE ?2 = '' OR instr(user_id, ?2) > 0),
c AS (SELECT COUNT(*) AS n FROM hit),
p AS (SELECT user_id FROM hit WHERE user_id > ?3 ORDER BY user_id LIMIT ?4)
SELECT g.id, c.n, p.user_id FROM g CROSS JOIN c LEFT JOIN p ON true
ORDER BY p.user_id;
