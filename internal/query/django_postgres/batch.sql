-- Django mode's batch evaluation (batch.go): batch_eval and batch_eval_all
-- over django-waffle's tables, with the library's own statements' columns
-- and arguments (postgres/batch.sql), so that batch.go reads both modes
-- alike. $2 (batch_eval_all: $1) is the user's ID as the application passed
-- it: the statement takes it as an auth_user key only when it is one (a
-- decimal from 1 with no leading zero and at most 18 digits, as
-- djangoUserID does), else the user is listed nowhere and in no group.
--
-- member is flag_eval's test (django_postgres/flag.sql): listed in
-- waffle_flag_users, or one of the flag's waffle_flag_groups is a group of
-- the user's in auth_user_groups or a group the request names ($3). The
-- user's group IDs are computed once per statement; each flag then probes
-- waffle_flag_groups with them. Django's waffle_flag has no ramp: NULL.
-- Every name list is joined (one index probe per name, whatever the
-- table's size: the planner cannot see the list's length through the
-- sub-select and would otherwise scan Django's tables); a name given twice
-- gives its row twice, which batch.go reads as one.
-- String flags live in the library's own waffle_string_flag.

-- name: batch_eval
WITH u AS (SELECT CASE WHEN $2::text ~ '^[1-9][0-9]{0,17}$' THEN $2::text::bigint END AS id),
gs AS (SELECT ARRAY(
    SELECT ug.group_id FROM auth_user_groups ug WHERE ug.user_id = (SELECT id FROM u)
    UNION
    SELECT g.id FROM unnest((SELECT $3::text[])::text[]) AS n (name) JOIN auth_group g ON g.name = n.name) AS ids)
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = (SELECT id FROM u) OFFSET 0)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg WHERE fg.flag_id = f.id AND fg.group_id = ANY ((SELECT ids FROM gs)::int[]) OFFSET 0),
    NULL::boolean, NULL::text
FROM unnest((SELECT $1::text[])::text[]) AS n (name) JOIN waffle_flag f ON f.name = n.name
UNION ALL
SELECT 1, w.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, w.active, NULL
FROM unnest((SELECT $4::text[])::text[]) AS n (name) JOIN waffle_switch w ON w.name = n.name
UNION ALL
SELECT 2, p.name, NULL, p.percent, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, NULL, NULL
FROM unnest((SELECT $5::text[])::text[]) AS n (name) JOIN waffle_sample p ON p.name = n.name
UNION ALL
SELECT 3, v.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, NULL, v.value
FROM unnest((SELECT $6::text[])::text[]) AS n (name) JOIN waffle_string_flag v ON v.name = n.name;

-- name: batch_eval_flags
-- batch_eval for a request that reads flags and switches only, as in
-- postgres/batch.sql: the same rows without the sample and string flag
-- branches; $1 to $4 as batch_eval's.
WITH u AS (SELECT CASE WHEN $2::text ~ '^[1-9][0-9]{0,17}$' THEN $2::text::bigint END AS id),
gs AS (SELECT ARRAY(
    SELECT ug.group_id FROM auth_user_groups ug WHERE ug.user_id = (SELECT id FROM u)
    UNION
    SELECT g.id FROM unnest((SELECT $3::text[])::text[]) AS n (name) JOIN auth_group g ON g.name = n.name) AS ids)
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text,
    EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = (SELECT id FROM u) OFFSET 0)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg WHERE fg.flag_id = f.id AND fg.group_id = ANY ((SELECT ids FROM gs)::int[]) OFFSET 0),
    NULL::boolean, NULL::text
FROM unnest((SELECT $1::text[])::text[]) AS n (name) JOIN waffle_flag f ON f.name = n.name
UNION ALL
SELECT 1, w.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, w.active, NULL
FROM unnest((SELECT $4::text[])::text[]) AS n (name) JOIN waffle_switch w ON w.name = n.name;

-- name: batch_eval_all
-- Every flag, switch and sample (the status view and wafflejs), ordered by
-- kind and name; $1 and $2 as $2 and $3 of batch_eval.
WITH u AS (SELECT CASE WHEN $1::text ~ '^[1-9][0-9]{0,17}$' THEN $1::text::bigint END AS id),
gs AS (SELECT ARRAY(
    SELECT ug.group_id FROM auth_user_groups ug WHERE ug.user_id = (SELECT id FROM u)
    UNION
    SELECT g.id FROM unnest((SELECT $2::text[])::text[]) AS n (name) JOIN auth_group g ON g.name = n.name) AS ids)
SELECT * FROM (
SELECT 0 AS kind, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL::text AS ramp,
    EXISTS (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id AND fu.user_id = (SELECT id FROM u) OFFSET 0)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg WHERE fg.flag_id = f.id AND fg.group_id = ANY ((SELECT ids FROM gs)::int[]) OFFSET 0),
    NULL::boolean, NULL::text, f.modified
FROM waffle_flag f
UNION ALL
SELECT 1, w.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, w.active, NULL, w.modified
FROM waffle_switch w
UNION ALL
SELECT 2, p.name, NULL, p.percent, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, NULL, NULL, p.modified
FROM waffle_sample p
) b ORDER BY kind, name COLLATE "C";

-- name: batch_create_flags
-- The missing flags a batch read, with Django's model defaults as
-- flag_create_missing: names $1 (a text[] literal), everyone $2, at $3.
INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, created, modified)
SELECT n, $2, NULL, FALSE, TRUE, FALSE, FALSE, '', FALSE, '', $3, $3 FROM unnest($1::text[]) n ORDER BY n
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_switches
INSERT INTO waffle_switch (name, active, note, created, modified)
SELECT n, $2, '', $3, $3 FROM unnest($1::text[]) n ORDER BY n
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_samples
INSERT INTO waffle_sample (name, percent, note, created, modified)
SELECT n, $2, '', $3, $3 FROM unnest($1::text[]) n ORDER BY n
ON CONFLICT (name) DO NOTHING;
