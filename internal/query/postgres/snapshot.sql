-- The in-process snapshot (snapshot.go): what it loads, in one read-only
-- transaction, and the one statement a request sends for the user's
-- memberships.

-- name: snapshot_flags
-- Every flag's rules; how many users it lists, counted up to $1 (a flag
-- with $1 or more keeps its users in the database); and the group its sync
-- filled, when attached to the flag (NULL otherwise).
SELECT f.id, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    (SELECT count(*) FROM (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id LIMIT $1) n),
    (SELECT fs.group_id FROM waffle_flag_sync fs
     JOIN waffle_flag_group fg ON fg.flag_id = fs.flag_id AND fg.group_id = fs.group_id
     WHERE fs.flag_id = f.id),
    f.modified
FROM waffle_flag f;

-- name: snapshot_flag_users
-- The users of the flags $1 (a bigint[] literal).
SELECT fu.flag_id, fu.user_id FROM waffle_flag_user fu WHERE fu.flag_id = ANY ($1::bigint[]);

-- name: snapshot_flag_groups
SELECT fg.flag_id, g.id, g.name FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id;

-- name: snapshot_switches
SELECT name, active, modified FROM waffle_switch;

-- name: snapshot_samples
SELECT name, percent, modified FROM waffle_sample;

-- name: snapshot_strings
SELECT name, value FROM waffle_string_flag;

-- name: snapshot_version
-- PostgreSQL tells the snapshot of each change (LISTEN waffle_change): no
-- counter to read.
SELECT 0;

-- name: snapshot_memberships
-- A user's ($1) memberships the snapshot does not hold: kind 0, the groups
-- the user is in by hand (the partial index by user), and which of the
-- flags' synced groups $2 (bigint[]) list the user (primary-key probes);
-- kind 1, which of the flags with many users $3 (bigint[]) list the user.
SELECT 0, gm.group_id FROM waffle_group_member gm WHERE gm.user_id = $1::text AND NOT gm.synced
UNION ALL
SELECT 0, gm.group_id FROM waffle_group_member gm
WHERE gm.group_id = ANY ((SELECT $2::bigint[])::bigint[]) AND gm.user_id = $1::text
UNION ALL
SELECT 1, fu.flag_id FROM waffle_flag_user fu
WHERE fu.flag_id = ANY ((SELECT $3::bigint[])::bigint[]) AND fu.user_id = $1::text;
