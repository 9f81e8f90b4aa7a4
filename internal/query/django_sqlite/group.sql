-- Django mode: the WAFFLE_<flag> group of DeleteFlag is an auth_group.

-- name: group_delete_members
DELETE FROM auth_user_groups WHERE group_id IN (SELECT id FROM auth_group WHERE name = ?1);

-- name: group_delete_links
DELETE FROM waffle_flag_groups WHERE group_id IN (SELECT id FROM auth_group WHERE name = ?1);

-- name: group_delete
DELETE FROM auth_group WHERE name = ?1;
