-- The common evaluations of a flag, without extra group names: the full
-- statement, flag_eval, is only for a user whose request brings Groups. Each
-- statement has no parameter that switches a branch off, so PostgreSQL
-- reuses the generic plan of the prepared statement instead of planning at
-- every call, and SQLite, which evaluates both sides of an OR, runs no
-- subquery that cannot match.

-- name: flag_eval_anonymous
-- A visitor with no user ID and no groups: the flag's rules only.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp, FALSE
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_user
-- An identified user ($2) without extra group names: listed, or in a listed
-- group by stored membership. Membership is two lookups (schema version 1): the
-- user's own rows through the (user_id, group_id) index, which holds the rows
-- not written by the sync; then the group the flag's sync filled
-- (waffle_flag_sync.group_id), probed by its primary key (group_id, user_id).
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = $2::text)
    OR EXISTS (SELECT 1 FROM waffle_group_member gm
               JOIN waffle_flag_group fg ON fg.group_id = gm.group_id AND fg.flag_id = f.id
               WHERE gm.user_id = $2::text AND NOT gm.synced)
    OR EXISTS (SELECT 1 FROM waffle_flag_sync fs
               JOIN waffle_flag_group fg ON fg.flag_id = fs.flag_id AND fg.group_id = fs.group_id
               JOIN waffle_group_member gm ON gm.group_id = fs.group_id AND gm.user_id = $2::text
               WHERE fs.flag_id = f.id)
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_user_detail
-- flag_eval_user for FlagDetail: the same row, with the match in place of the
-- membership column: 'u' (the user is listed), 'g' and the name of a group
-- that matched, or NULL when nothing did (the common case: no text to send
-- or allocate). Its plan is kept as small as flag_eval_user's, because
-- PostgreSQL sets up every node of a plan at each execution, run or not: the
-- user's own groups are the same probes with the group's row read by its key
-- and no aggregate (LIMIT 1: one group that matched), and the group the
-- flag's sync filled is the same EXISTS, whose name is always 'WAFFLE_' and
-- the flag's (SyncGroupName; flags are never renamed). FlagDetail of an
-- anonymous visitor runs flag_eval_anonymous itself: nothing can match. The
-- _meta statements below add the flag's modified time and note, for
-- FlagDetailMeta.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = $2::text) THEN 'u'
        ELSE 'g' || COALESCE((SELECT g.name FROM waffle_group_member gm
                   JOIN waffle_flag_group fg ON fg.group_id = gm.group_id AND fg.flag_id = f.id
                   JOIN waffle_group g ON g.id = gm.group_id
                   WHERE gm.user_id = $2::text AND NOT gm.synced LIMIT 1),
            CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_sync fs
                   JOIN waffle_flag_group fg ON fg.flag_id = fs.flag_id AND fg.group_id = fs.group_id
                   JOIN waffle_group_member gm ON gm.group_id = fs.group_id AND gm.user_id = $2::text
                   WHERE fs.flag_id = f.id) THEN 'WAFFLE_' || f.name END) END AS detail
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_anonymous_meta
-- flag_eval_anonymous for FlagDetailMeta: the same row, with the detail in place
-- of the membership column ('u' the user is listed, 'g' and the name of a
-- group that matched, or '-'), then the modified time and the note as
-- columns of their own (formatting them into the text costs the server more
-- than sending them).
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    '-' AS detail,
    f.modified, f.note
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_user_meta
-- flag_eval_user_detail for FlagDetailMeta: the match, '-' when nothing
-- matched, then the modified time and the note.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = $2::text) THEN 'u'
        ELSE COALESCE('g' || COALESCE((SELECT g.name FROM waffle_group_member gm
                   JOIN waffle_flag_group fg ON fg.group_id = gm.group_id AND fg.flag_id = f.id
                   JOIN waffle_group g ON g.id = gm.group_id
                   WHERE gm.user_id = $2::text AND NOT gm.synced LIMIT 1),
            CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_sync fs
                   JOIN waffle_flag_group fg ON fg.flag_id = fs.flag_id AND fg.group_id = fs.group_id
                   JOIN waffle_group_member gm ON gm.group_id = fs.group_id AND gm.user_id = $2::text
                   WHERE fs.flag_id = f.id) THEN 'WAFFLE_' || f.name END), '-') END AS detail,
    f.modified, f.note
FROM waffle_flag f WHERE f.name = $1;
