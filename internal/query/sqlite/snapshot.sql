-- The in-process snapshot (snapshot.go): what it loads, in one read
-- transaction, and the one statement a request sends for the user's
-- memberships.

-- name: snapshot_flags
-- Every flag's rules; how many users it lists, counted up to ?1 (a flag
-- with ?1 or more keeps its users in the database); and its WAFFLE_ group
-- when attached to the flag (NULL otherwise), as flag_eval finds it.
SELECT f.id, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    (SELECT count(*) FROM (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id LIMIT ?1)),
    (SELECT g.id FROM waffle_group g JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
     WHERE g.name = 'WAFFLE_' || f.name),
    f.modified
FROM waffle_flag f;

-- name: snapshot_flag_users
-- The users of the flags ?1 (a JSON array).
SELECT fu.flag_id, fu.user_id FROM waffle_flag_user fu WHERE fu.flag_id IN (SELECT value FROM json_each(?1));

-- name: snapshot_flag_groups
SELECT fg.flag_id, g.id, g.name FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id;

-- name: snapshot_switches
SELECT name, active, modified FROM waffle_switch;

-- name: snapshot_samples
SELECT name, percent, modified FROM waffle_sample;

-- name: snapshot_strings
SELECT name, value FROM waffle_string_flag;

-- name: snapshot_version
-- The change counter the schema's triggers increment (schema version 4).
SELECT version FROM waffle_change WHERE id = 1;

-- name: snapshot_memberships
-- A user's (?1) memberships the snapshot does not hold: kind 0, the groups
-- the user is in by hand (waffle_group_member_by_user), and which of the
-- flags' synced groups ?2 (a JSON array) list the user (the primary key of
-- waffle_sync_member); kind 1, which of the flags with many users ?3 list
-- the user.
SELECT 0, group_id FROM waffle_group_member_by_user WHERE user_id = ?1
UNION ALL
SELECT 0, group_id FROM waffle_sync_member WHERE group_id IN (SELECT value FROM json_each(?2)) AND user_id = ?1
UNION ALL
SELECT 1, flag_id FROM waffle_flag_user WHERE flag_id IN (SELECT value FROM json_each(?3)) AND user_id = ?1;
