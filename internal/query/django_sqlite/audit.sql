-- Django mode: the audit statements that read group and member tables, on
-- Django's auth_group, auth_user_groups and waffle_flag_users/_groups. User
-- IDs are auth_user keys, compared as text. waffle_audit itself is the
-- library's own table (Django mode's migration creates it).

-- name: audit_group_create_many
-- The auth_groups a flag's save creates (?1 a JSON array of names), before
-- group_create_many in the same transaction.
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT ?2, ?3, 'create', 'group', j.value, NULL, '{"members":[]}'
FROM json_each(?1) AS j
WHERE NOT EXISTS (SELECT 1 FROM auth_group g WHERE g.name = j.value);

-- name: audit_flag_users_among
-- Which of the IDs ?2 (a JSON array) flag ?1 lists.
SELECT CAST(user_id AS TEXT) FROM waffle_flag_users
WHERE flag_id = ?1 AND CAST(user_id AS TEXT) IN (SELECT value FROM json_each(?2));

-- name: audit_flag_groups_among
-- Which of the group names ?2 (a JSON array) flag ?1 lists.
SELECT g.name FROM waffle_flag_groups fg JOIN auth_group g ON g.id = fg.group_id
WHERE fg.flag_id = ?1 AND g.name IN (SELECT value FROM json_each(?2));

-- name: audit_group_members_among
-- Which of the user IDs ?2 (a JSON array) are members of auth_group ?1.
SELECT CAST(user_id AS TEXT) FROM auth_user_groups
WHERE group_id = ?1 AND CAST(user_id AS TEXT) IN (SELECT value FROM json_each(?2));

-- name: audit_sync_user_member
-- Whether user ?2 is a member of auth_group ?1.
SELECT EXISTS (SELECT 1 FROM auth_user_groups WHERE group_id = ?1 AND CAST(user_id AS TEXT) = ?2);
