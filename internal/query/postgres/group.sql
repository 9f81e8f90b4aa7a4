-- Groups: waffle_group and its members, waffle_group_member.

-- name: group_create
INSERT INTO waffle_group (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: group_create_many
-- $1: a JSON array of names.
INSERT INTO waffle_group (name, created) SELECT u, $2 FROM jsonb_array_elements_text($1::text::jsonb) AS u
ON CONFLICT (name) DO NOTHING;

-- name: group_id
-- Read in the transaction that adds members: FOR KEY SHARE keeps the group
-- from being deleted until it commits, as a foreign key from its members
-- would (migration 3).
SELECT id FROM waffle_group WHERE name = $1 FOR KEY SHARE;

-- name: group_list
SELECT id, name, created FROM waffle_group ORDER BY name COLLATE "C";

-- name: group_members
-- One row with a NULL user for an empty group; no row for a missing one.
SELECT g.id, m.user_id FROM waffle_group g LEFT JOIN waffle_group_member m ON m.group_id = g.id
WHERE g.name = $1 ORDER BY m.user_id COLLATE "C";

-- name: user_groups
-- One probe of the members' primary key (group_id, user_id) per group:
-- there is no index by user (migration 3).
SELECT g.name FROM waffle_group g
WHERE EXISTS (SELECT 1 FROM waffle_group_member m WHERE m.group_id = g.id AND m.user_id = $1)
ORDER BY g.name COLLATE "C";

-- name: group_members_add
INSERT INTO waffle_group_member (group_id, user_id)
SELECT $1::bigint, u FROM jsonb_array_elements_text($2::text::jsonb) AS u
ON CONFLICT DO NOTHING;

-- name: group_members_remove
DELETE FROM waffle_group_member WHERE group_id = $1 AND user_id IN (SELECT jsonb_array_elements_text($2::text::jsonb));

-- name: group_delete_members
DELETE FROM waffle_group_member WHERE group_id IN (SELECT id FROM waffle_group WHERE name = $1);

-- name: group_delete_links
DELETE FROM waffle_flag_group WHERE group_id IN (SELECT id FROM waffle_group WHERE name = $1);

-- name: group_delete
DELETE FROM waffle_group WHERE name = $1;
