-- Batch evaluation (batch.go): the rows of many flags, switches, samples and
-- string flags for one request, in one statement: batch_eval, or
-- batch_eval_flags when the request reads flags and switches only;
-- batch_eval_all reads every flag, switch and sample. Every row has the same
-- columns: kind (0 flag, 1 switch, 2 sample, 3 string flag), name, the
-- flag's rules (percent is a sample's percent too), member, a switch's
-- active, a string flag's value; batch_eval_all adds modified.
--
-- Lists arrive as JSON arrays ('[]' when empty); ?2 is the user's ID (''
-- when anonymous), ?3 the request's extra group names. member is the same
-- test as flag_eval's.

-- name: batch_eval
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    (?2 <> '' AND (
        EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2)
        OR EXISTS (SELECT 1 FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   WHERE bu.user_id = ?2)
        OR EXISTS (SELECT 1 FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
                   WHERE g.name = 'WAFFLE_' || f.name)))
    OR (?3 <> '[]' AND EXISTS (SELECT 1 FROM waffle_flag_group fg
                               JOIN waffle_group g ON g.id = fg.group_id
                               WHERE fg.flag_id = f.id AND g.name IN (SELECT value FROM json_each(?3)))),
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
-- batch_eval for a request that reads flags and switches only (the common
-- case): the same rows, without the sample and string flag branches; ?1 to
-- ?4 as batch_eval's.
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    (?2 <> '' AND (
        EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2)
        OR EXISTS (SELECT 1 FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   WHERE bu.user_id = ?2)
        OR EXISTS (SELECT 1 FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
                   WHERE g.name = 'WAFFLE_' || f.name)))
    OR (?3 <> '[]' AND EXISTS (SELECT 1 FROM waffle_flag_group fg
                               JOIN waffle_group g ON g.id = fg.group_id
                               WHERE fg.flag_id = f.id AND g.name IN (SELECT value FROM json_each(?3)))),
    NULL, NULL
FROM waffle_flag f WHERE f.name IN (SELECT value FROM json_each(?1))
UNION ALL
SELECT 1, w.name, NULL, NULL, 0, 0, 0, 0, '', 0, NULL, 0, w.active, NULL
FROM waffle_switch w WHERE w.name IN (SELECT value FROM json_each(?4));

-- name: batch_eval_all
-- Every flag, switch and sample (the status view and wafflejs), ordered by
-- kind and name; ?1 and ?2 as ?2 and ?3 of batch_eval.
SELECT * FROM (
SELECT 0 AS kind, f.name AS name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    (?1 <> '' AND (
        EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?1)
        OR EXISTS (SELECT 1 FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   WHERE bu.user_id = ?1)
        OR EXISTS (SELECT 1 FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?1
                   WHERE g.name = 'WAFFLE_' || f.name)))
    OR (?2 <> '[]' AND EXISTS (SELECT 1 FROM waffle_flag_group fg
                               JOIN waffle_group g ON g.id = fg.group_id
                               WHERE fg.flag_id = f.id AND g.name IN (SELECT value FROM json_each(?2)))),
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
-- The missing flags a batch read (Config.CreateMissingFlags): names ?1 (a
-- JSON array), everyone ?2, at ?3.
INSERT INTO waffle_flag (name, everyone, created, modified)
SELECT value, ?2, ?3, ?3 FROM json_each(?1) WHERE true ORDER BY value
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_switches
INSERT INTO waffle_switch (name, active, created, modified)
SELECT value, ?2, ?3, ?3 FROM json_each(?1) WHERE true ORDER BY value
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_samples
INSERT INTO waffle_sample (name, percent, created, modified)
SELECT value, ?2, ?3, ?3 FROM json_each(?1) WHERE true ORDER BY value
ON CONFLICT (name) DO NOTHING;
