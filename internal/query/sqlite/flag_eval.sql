-- The common evaluations of a flag, without extra group names: the full
-- statement, flag_eval, is only for a user whose request brings Groups. Each
-- statement has no parameter that switches a branch off, so PostgreSQL
-- reuses the generic plan of the prepared statement instead of planning at
-- every call, and SQLite, which evaluates both sides of an OR, runs no
-- subquery that cannot match.

-- name: flag_eval_anonymous
-- A visitor with no user ID and no groups: the flag's rules only.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp, 0
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_eval_user
-- An identified user (?2) without extra group names: listed, or in a listed
-- group by stored membership. Membership is two lookups (schema version 1): the
-- user's groups filled by hand, in waffle_group_member_by_user; then the
-- flag's WAFFLE_ group, by name, probed by the primary key (group_id,
-- user_id) of waffle_sync_member, which holds a sync's members (schema version 1).
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2)
    OR EXISTS (SELECT 1 FROM waffle_group_member_by_user bu
               JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
               WHERE bu.user_id = ?2)
    OR EXISTS (SELECT 1 FROM waffle_group g
               JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
               JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
               WHERE g.name = 'WAFFLE_' || f.name)
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_eval_user_detail
-- flag_eval_user for FlagDetail: the same row, with the match in place of the
-- membership column: 'u' (the user is listed), 'g' and the name of a group
-- that matched (the first found), or NULL: no text to build, send or
-- allocate when nothing matched, the common case. FlagDetail of an anonymous
-- visitor runs flag_eval_anonymous itself: nothing can match. The _meta
-- statements below add the flag's modified time and note for
-- FlagDetailMeta; building, copying and parsing that text costs SQLite, the
-- driver and the library a few percent of the call, which FlagDetail does
-- not pay.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2) THEN 'u'
        ELSE 'g' || COALESCE((SELECT g.name FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   JOIN waffle_group g ON g.id = bu.group_id
                   WHERE bu.user_id = ?2 LIMIT 1),
            (SELECT g.name FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
                   WHERE g.name = 'WAFFLE_' || f.name)) END AS detail
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_eval_anonymous_meta
-- flag_eval_anonymous for FlagDetailMeta: the same row, with the detail in place of
-- the membership column: 'u' (the user is listed), 'g' and the name of a group
-- that matched (the first found; of the request's names, the least), or '-',
-- then the modified time, then the note (last:
-- free text), separated by the unit separator (char 31), which no name holds.
-- One text column rather than three (PostgreSQL's form): go-sqlite3 parses a
-- DATETIME column with time.ParseInLocation over its list of layouts, and
-- every column costs cgo calls; the library reads this text itself.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    '-' || char(31) || f.modified || char(31) || f.note AS detail
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_eval_user_meta
-- flag_eval_user for FlagDetailMeta: the same row, with the detail in place of the
-- membership column: 'u' (the user is listed), 'g' and the name of a group
-- that matched (the first found; of the request's names, the least), or '-',
-- then the modified time, then the note (last:
-- free text), separated by the unit separator (char 31), which no name holds.
-- One text column rather than three (PostgreSQL's form): go-sqlite3 parses a
-- DATETIME column with time.ParseInLocation over its list of layouts, and
-- every column costs cgo calls; the library reads this text itself.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2) THEN 'u'
        ELSE COALESCE('g' || COALESCE((SELECT g.name FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   JOIN waffle_group g ON g.id = bu.group_id
                   WHERE bu.user_id = ?2 LIMIT 1),
            (SELECT g.name FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
                   WHERE g.name = 'WAFFLE_' || f.name)), '-') END
        || char(31) || f.modified || char(31) || f.note AS detail
FROM waffle_flag f WHERE f.name = ?1;
