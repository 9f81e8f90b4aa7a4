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
-- would (schema version 1).
SELECT id FROM waffle_group WHERE name = $1 FOR KEY SHARE;

-- name: group_list
SELECT id, name, created FROM waffle_group ORDER BY name COLLATE "C";

-- name: group_members
-- One row with a NULL user for an empty group; no row for a missing one.
SELECT g.id, m.user_id FROM waffle_group g LEFT JOIN waffle_group_member m ON m.group_id = g.id
WHERE g.name = $1 ORDER BY m.user_id COLLATE "C";

-- name: user_groups
-- The rows the sync did not write, through the (user_id, group_id) index,
-- and the WAFFLE_ groups, each probed by its primary key (schema version 1).
SELECT name FROM (
  SELECT g.name FROM waffle_group_member m JOIN waffle_group g ON g.id = m.group_id
  WHERE m.user_id = $1 AND NOT m.synced
  UNION
  SELECT g.name FROM waffle_group g
  JOIN waffle_group_member m ON m.group_id = g.id AND m.user_id = $1
  WHERE left(g.name, 7) = 'WAFFLE_' AND m.synced
) AS groups
ORDER BY name COLLATE "C";

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

-- name: group_members_page
-- One page of a group's members ($1 the group's name; one table here, the
-- sync's rows included) that contain $2, after $3, at most $4, each with the
-- number of matching members, counted once. A group without a matching
-- member gives one row whose user is NULL; no row: no such group.
WITH g AS (SELECT id FROM waffle_group WHERE name = $1),
c AS (SELECT COUNT(*) AS n FROM waffle_group_member m JOIN g ON m.group_id = g.id
      WHERE $2 = '' OR strpos(m.user_id, $2) > 0),
p AS (SELECT m.user_id FROM waffle_group_member m JOIN g ON m.group_id = g.id
      WHERE m.user_id COLLATE "C" > $3 AND ($2 = '' OR strpos(m.user_id, $2) > 0)
      ORDER BY m.user_id COLLATE "C" LIMIT $4)
SELECT g.id, c.n, p.user_id FROM g CROSS JOIN c LEFT JOIN p ON true
ORDER BY p.user_id COLLATE "C";
