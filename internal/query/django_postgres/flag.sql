-- Django mode: django-waffle's waffle_flag with its many-to-many tables
-- waffle_flag_users (to auth_user) and waffle_flag_groups (to auth_group), and
-- Django's auth_user_groups. User IDs are auth_user primary keys (integers);
-- lists arrive as JSON arrays of strings. Statements not defined here are
-- the library's own (postgres/), which read the columns both schemas share.

-- name: flag_eval_anonymous
-- A visitor with no auth_user key and no groups: the flag's rules only. Django's waffle_flag has
-- no ramp column: the ramp reads as NULL (none).
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text, FALSE
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_user
-- An identified user ($2, an auth_user id): listed on the flag, or in one of
-- its groups by Django's auth_user_groups.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = $2::bigint)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg
               JOIN auth_user_groups ug ON ug.group_id = fg.group_id AND ug.user_id = $2::bigint
               WHERE fg.flag_id = f.id)
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval
-- As flag_eval_user ($2 NULL when anonymous), or one of the request's extra
-- group names ($3, a JSON array) names one of the flag's auth_groups.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = $2::bigint)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg
               JOIN auth_user_groups ug ON ug.group_id = fg.group_id AND ug.user_id = $2::bigint
               WHERE fg.flag_id = f.id)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg JOIN auth_group g ON g.id = fg.group_id
               WHERE fg.flag_id = f.id AND g.name IN (SELECT jsonb_array_elements_text($3::text::jsonb)))
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_create_missing
-- Django's model defaults: superusers on, every other rule off.
INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, created, modified)
VALUES ($1, $2, NULL, FALSE, TRUE, FALSE, FALSE, '', FALSE, '', $3, $3)
ON CONFLICT (name) DO NOTHING;

-- name: flag_users
SELECT user_id::text FROM waffle_flag_users WHERE flag_id = $1 ORDER BY user_id;

-- name: flag_groups
SELECT g.name FROM waffle_flag_groups fg JOIN auth_group g ON g.id = fg.group_id
WHERE fg.flag_id = $1 ORDER BY g.name COLLATE "C";

-- name: flag_users_add
INSERT INTO waffle_flag_users (flag_id, user_id)
SELECT $1::int, u::bigint FROM jsonb_array_elements_text($2::text::jsonb) AS u
ON CONFLICT DO NOTHING;

-- name: flag_users_remove
DELETE FROM waffle_flag_users WHERE flag_id = $1
AND user_id::text IN (SELECT jsonb_array_elements_text($2::text::jsonb));

-- name: flag_users_keep_only
DELETE FROM waffle_flag_users WHERE flag_id = $1
AND user_id::text NOT IN (SELECT jsonb_array_elements_text($2::text::jsonb));

-- name: group_create_many
-- auth_group has no created column; $2 (the time) is unused.
INSERT INTO auth_group (name)
SELECT g FROM jsonb_array_elements_text($1::text::jsonb) AS g WHERE $2::timestamptz IS NOT NULL
ON CONFLICT (name) DO NOTHING;

-- name: flag_groups_add
INSERT INTO waffle_flag_groups (flag_id, group_id)
SELECT $1::int, g.id FROM auth_group g WHERE g.name IN (SELECT jsonb_array_elements_text($2::text::jsonb))
ON CONFLICT DO NOTHING;

-- name: flag_groups_remove
DELETE FROM waffle_flag_groups WHERE flag_id = $1
AND group_id IN (SELECT id FROM auth_group WHERE name IN (SELECT jsonb_array_elements_text($2::text::jsonb)));

-- name: flag_groups_keep_only
-- Leaves the WAFFLE_ groups that SyncMembership attaches.
DELETE FROM waffle_flag_groups WHERE flag_id = $1
AND group_id IN (SELECT id FROM auth_group
                 WHERE substr(name, 1, 7) <> 'WAFFLE_' AND name NOT IN (SELECT jsonb_array_elements_text($2::text::jsonb)));

-- name: flag_delete_windows
-- Both kinds of windows: waffle-window's and the library's own.
WITH w AS (DELETE FROM waffle_window_flagmember WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = $1))
DELETE FROM waffle_flag_member WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = $1);

-- name: flag_delete_users
DELETE FROM waffle_flag_users WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = $1);

-- name: flag_delete_groups
DELETE FROM waffle_flag_groups WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = $1);

-- name: flag_all_users
SELECT flag_id, user_id::text FROM waffle_flag_users ORDER BY flag_id, user_id;

-- name: flag_all_groups
SELECT fg.flag_id, g.name FROM waffle_flag_groups fg JOIN auth_group g ON g.id = fg.group_id
ORDER BY fg.flag_id, g.name COLLATE "C";

-- name: flag_eval_user_detail
-- flag_eval_user for FlagDetail: 'u' (listed), 'g' and the least name of
-- the user's auth_groups on the flag, or NULL, as the library's own
-- (postgres/flag_eval.sql). FlagDetail of an anonymous visitor runs
-- flag_eval_anonymous itself; the _meta statements below add the
-- modified time and the note, for FlagDetailMeta.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = $2::bigint) THEN 'u'
        ELSE 'g' || (SELECT min(g.name COLLATE "C") FROM waffle_flag_groups fg
                   JOIN auth_user_groups ug ON ug.group_id = fg.group_id AND ug.user_id = $2::bigint
                   JOIN auth_group g ON g.id = fg.group_id
                   WHERE fg.flag_id = f.id) END AS detail
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_detail
-- flag_eval for FlagDetail: as flag_eval_user_detail, the request's extra
-- group names counting as the user's.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = $2::bigint) THEN 'u'
        ELSE 'g' || (SELECT min(g.name COLLATE "C") FROM waffle_flag_groups fg
                   JOIN auth_group g ON g.id = fg.group_id
                   WHERE fg.flag_id = f.id
                     AND (EXISTS (SELECT 1 FROM auth_user_groups ug WHERE ug.group_id = g.id AND ug.user_id = $2::bigint)
                          OR g.name IN (SELECT jsonb_array_elements_text($3::text::jsonb)))) END AS detail
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_anonymous_meta
-- flag_eval_anonymous for FlagDetailMeta: the same row, with the detail in place
-- of the membership column, as the library's own (postgres/flag_eval.sql):
-- '-'; then the modified time and the note as columns.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    '-' AS detail,
    f.modified, f.note
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_user_meta
-- flag_eval_user for FlagDetailMeta: 'u' (listed), 'g' and the least name of
-- the user's auth_groups on the flag, or '-'; then as above.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = $2::bigint) THEN 'u'
        ELSE COALESCE('g' || (SELECT min(g.name COLLATE "C") FROM waffle_flag_groups fg
                   JOIN auth_user_groups ug ON ug.group_id = fg.group_id AND ug.user_id = $2::bigint
                   JOIN auth_group g ON g.id = fg.group_id
                   WHERE fg.flag_id = f.id), '-') END
        AS detail,
    f.modified, f.note
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_eval_meta
-- flag_eval for FlagDetailMeta: as flag_eval_user_meta, the request's extra
-- group names ($3) counting as the user's.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    CASE WHEN EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = $2::bigint) THEN 'u'
        ELSE COALESCE('g' || (SELECT min(g.name COLLATE "C") FROM waffle_flag_groups fg
                   JOIN auth_group g ON g.id = fg.group_id
                   WHERE fg.flag_id = f.id
                     AND (EXISTS (SELECT 1 FROM auth_user_groups ug WHERE ug.group_id = g.id AND ug.user_id = $2::bigint)
                          OR g.name IN (SELECT jsonb_array_elements_text($3::text::jsonb)))), '-') END
        AS detail,
    f.modified, f.note
FROM waffle_flag f WHERE f.name = $1;

-- name: flag_ensure
-- Ensure's flags (postgres/ensure.sql), without the ramp Django's table has
-- not.
INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, created, modified)
SELECT r.name, r.everyone, r.percent, r.testing, r.superusers, r.staff, r.authenticated, r.languages, r.rollout, r.note, $2, $2
FROM jsonb_to_recordset($1::text::jsonb) AS r (name text, everyone boolean, percent double precision, testing boolean,
    superusers boolean, staff boolean, authenticated boolean, languages text, rollout boolean, note text)
ON CONFLICT (name) DO NOTHING
RETURNING id, name;
