-- Django mode's batch evaluation (batch.go): batch_eval and batch_eval_all
-- over django-waffle's tables, with the library's own statements' columns
-- and arguments (sqlite/batch.sql), so that batch.go reads both modes
-- alike. ?2 (batch_eval_all: ?1) is the user's ID as the application passed
-- it: the statement takes it as an auth_user key only when it is one (a
-- decimal from 1 with no leading zero and at most 18 digits, as
-- djangoUserID does), else the user is listed nowhere and in no group.
--
-- member is flag_eval's test (django_sqlite/flag.sql): listed in
-- waffle_flag_users, or one of the flag's waffle_flag_groups is a group of
-- the user's in auth_user_groups or a group the request names (?3).
-- Django's waffle_flag has no ramp: NULL. String flags live in the
-- library's own waffle_string_flag.

-- name: batch_eval
WITH u (id) AS (SELECT CASE WHEN ?2 <> '' AND length(?2) <= 18 AND ?2 NOT GLOB '*[^0-9]*' AND ?2 NOT GLOB '0*'
                            THEN CAST(?2 AS INTEGER) END),
gs (id) AS (SELECT ug.group_id FROM auth_user_groups ug JOIN u ON ug.user_id = u.id
            UNION
            SELECT g.id FROM auth_group g WHERE g.name IN (SELECT value FROM json_each(?3)))
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL,
    EXISTS (SELECT 1 FROM waffle_flag_users fu JOIN u ON fu.user_id = u.id WHERE fu.flag_id = f.id)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg WHERE fg.flag_id = f.id AND fg.group_id IN (SELECT id FROM gs)),
    NULL, NULL
FROM waffle_flag f WHERE f.name IN (SELECT value FROM json_each(?1))
UNION ALL
SELECT 1, w.name, NULL, NULL, 0, 0, 0, 0, '', 0, NULL, 0, w.active, NULL
FROM waffle_switch w WHERE w.name IN (SELECT value FROM json_each(?4))
UNION ALL
SELECT 2, p.name, NULL, p.percent, 0, 0, 0, 0, '', 0, NULL, 0, NULL, NULL
FROM waffle_sample p WHERE p.name IN (SELECT value FROM json_each(?5))
UNION ALL
SELECT 3, v.name, NULL, NULL, 0, 0, 0, 0, '', 0, NULL, 0, NULL, v.value
FROM waffle_string_flag v WHERE v.name IN (SELECT value FROM json_each(?6));

-- name: batch_eval_flags
-- batch_eval for a request that reads flags and switches only, as in
-- sqlite/batch.sql: the same rows without the sample and string flag
-- branches; ?1 to ?4 as batch_eval's.
WITH u (id) AS (SELECT CASE WHEN ?2 <> '' AND length(?2) <= 18 AND ?2 NOT GLOB '*[^0-9]*' AND ?2 NOT GLOB '0*'
                            THEN CAST(?2 AS INTEGER) END),
gs (id) AS (SELECT ug.group_id FROM auth_user_groups ug JOIN u ON ug.user_id = u.id
            UNION
            SELECT g.id FROM auth_group g WHERE g.name IN (SELECT value FROM json_each(?3)))
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL,
    EXISTS (SELECT 1 FROM waffle_flag_users fu JOIN u ON fu.user_id = u.id WHERE fu.flag_id = f.id)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg WHERE fg.flag_id = f.id AND fg.group_id IN (SELECT id FROM gs)),
    NULL, NULL
FROM waffle_flag f WHERE f.name IN (SELECT value FROM json_each(?1))
UNION ALL
SELECT 1, w.name, NULL, NULL, 0, 0, 0, 0, '', 0, NULL, 0, w.active, NULL
FROM waffle_switch w WHERE w.name IN (SELECT value FROM json_each(?4));

-- name: batch_eval_all
-- Every flag, switch and sample (the status view and wafflejs), ordered by
-- kind and name; ?1 and ?2 as ?2 and ?3 of batch_eval.
WITH u (id) AS (SELECT CASE WHEN ?1 <> '' AND length(?1) <= 18 AND ?1 NOT GLOB '*[^0-9]*' AND ?1 NOT GLOB '0*'
                            THEN CAST(?1 AS INTEGER) END),
gs (id) AS (SELECT ug.group_id FROM auth_user_groups ug JOIN u ON ug.user_id = u.id
            UNION
            SELECT g.id FROM auth_group g WHERE g.name IN (SELECT value FROM json_each(?2)))
SELECT * FROM (
SELECT 0 AS kind, f.name AS name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL,
    EXISTS (SELECT 1 FROM waffle_flag_users fu JOIN u ON fu.user_id = u.id WHERE fu.flag_id = f.id)
    OR EXISTS (SELECT 1 FROM waffle_flag_groups fg WHERE fg.flag_id = f.id AND fg.group_id IN (SELECT id FROM gs)),
    NULL, NULL, f.modified AS modified
FROM waffle_flag f
UNION ALL
SELECT 1, w.name, NULL, NULL, 0, 0, 0, 0, '', 0, NULL, 0, w.active, NULL, w.modified
FROM waffle_switch w
UNION ALL
SELECT 2, p.name, NULL, p.percent, 0, 0, 0, 0, '', 0, NULL, 0, NULL, NULL, p.modified
FROM waffle_sample p
) ORDER BY kind, name;

-- name: batch_create_flags
-- The missing flags a batch read, with Django's model defaults as
-- flag_create_missing: names ?1 (a JSON array), everyone ?2, at ?3.
INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, created, modified)
SELECT value, ?2, NULL, 0, 1, 0, 0, '', 0, '', ?3, ?3 FROM json_each(?1) WHERE true ORDER BY value
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_switches
INSERT INTO waffle_switch (name, active, note, created, modified)
SELECT value, ?2, '', ?3, ?3 FROM json_each(?1) WHERE true ORDER BY value
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_samples
INSERT INTO waffle_sample (name, percent, note, created, modified)
SELECT value, ?2, '', ?3, ?3 FROM json_each(?1) WHERE true ORDER BY value
ON CONFLICT (name) DO NOTHING;
