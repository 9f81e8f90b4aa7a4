-- Batch evaluation (batch.go): the rows of many flags, switches, samples and
-- string flags for one request, in one statement: batch_eval, or
-- batch_eval_flags when the request reads flags and switches only;
-- batch_eval_all reads every flag, switch and sample. Every row has the same
-- columns: kind (0 flag, 1 switch, 2 sample, 3 string flag), name, the
-- flag's rules (percent is a sample's percent too), member, a switch's
-- active, a string flag's value; batch_eval_all adds modified.
--
-- Lists arrive as text[] literals ('{}' when empty); $2 is the user's ID
-- ('' when anonymous), $3 the request's extra group names. Each list is
-- read through a sub-select, (SELECT $n::text[]): the planner cannot see
-- into it, so a call with one name is planned as one with a hundred, the
-- custom plans of the first executions cost what the generic plan does,
-- and the prepared statement settles on the generic plan (a bare
-- = ANY ($n) is re-planned at every call when the list is short).
--
-- member is the same test as flag_eval's, computed once per statement
-- rather than once per flag: the flags that list the user (the index by
-- user) and the flags of the groups the user is in by hand (the partial
-- index by user) or that the request names (one probe of
-- waffle_flag_group's index by group for each) form one set, which
-- PostgreSQL builds once and hashes (a "hashed SubPlan": the IN over an
-- uncorrelated sub-select); each flag is then a hash probe. The group the
-- flag's sync filled comes with the flag's row (waffle_flag_sync by its
-- primary key); only a flag with one probes the members' primary key for
-- the user. Each flag is found by its own index probe (the LATERAL ...
-- OFFSET 0: a join of the name list may otherwise be planned as a scan of
-- waffle_flag and a hash, which grows with the table). EXPLAIN ANALYZE of
-- 30 flags and 2 switches on the benchmarks' data, generic plan: 196
-- buffers, 0.10-0.12 ms, against 344 buffers and 0.24-0.35 ms for the
-- per-flag EXISTS probes it replaced (bench/explain_test.go checks that no
-- table is scanned).

-- name: batch_eval
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    f.id IN (SELECT fu.flag_id FROM waffle_flag_user fu WHERE fu.user_id = $2::text
             UNION ALL
             SELECT fg.flag_id FROM (
                 SELECT gm.group_id FROM waffle_group_member gm WHERE gm.user_id = $2::text AND NOT gm.synced
                 UNION ALL
                 SELECT g.id FROM waffle_group g WHERE g.name = ANY ((SELECT $3::text[])::text[])) ug (id),
                 LATERAL (SELECT fg.flag_id FROM waffle_flag_group fg WHERE fg.group_id = ug.id OFFSET 0) fg)
    OR CASE WHEN f.sync_group IS NULL THEN FALSE ELSE EXISTS (SELECT 1 FROM waffle_group_member gm
           JOIN waffle_flag_group fg ON fg.flag_id = f.id AND fg.group_id = gm.group_id
           WHERE gm.group_id = f.sync_group AND gm.user_id = $2::text OFFSET 0) END,
    NULL::boolean, NULL::text
FROM unnest((SELECT $1::text[])::text[]) AS n (name)
CROSS JOIN LATERAL (SELECT f.*, fs.group_id AS sync_group FROM waffle_flag f LEFT JOIN waffle_flag_sync fs ON fs.flag_id = f.id
                    WHERE f.name = n.name OFFSET 0) f
UNION ALL
SELECT 1, w.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, w.active, NULL
FROM waffle_switch w WHERE w.name = ANY ((SELECT $4::text[])::text[])
UNION ALL
SELECT 2, p.name, NULL, p.percent, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, NULL, NULL
FROM waffle_sample p WHERE p.name = ANY ((SELECT $5::text[])::text[])
UNION ALL
SELECT 3, v.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, NULL, v.value
FROM waffle_string_flag v WHERE v.name = ANY ((SELECT $6::text[])::text[]);

-- name: batch_eval_flags
-- batch_eval for a request that reads flags and switches only (the common
-- case): the same rows, without the sample and string flag branches, whose
-- index scans PostgreSQL sets up at every execution, empty lists or not.
-- It also keeps the relations the statement locks within the 16 a session
-- locks on its fast path: 7 tables and 9 indexes (pg_locks), where
-- batch_eval's 19 or 20 send the rest through the shared lock table, whose
-- partition locks concurrent requests wait on (LWLock:LockManager in
-- pg_stat_activity; bench/explain_test.go checks the count). $1 to $4 as
-- batch_eval's.
SELECT 0, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    f.id IN (SELECT fu.flag_id FROM waffle_flag_user fu WHERE fu.user_id = $2::text
             UNION ALL
             SELECT fg.flag_id FROM (
                 SELECT gm.group_id FROM waffle_group_member gm WHERE gm.user_id = $2::text AND NOT gm.synced
                 UNION ALL
                 SELECT g.id FROM waffle_group g WHERE g.name = ANY ((SELECT $3::text[])::text[])) ug (id),
                 LATERAL (SELECT fg.flag_id FROM waffle_flag_group fg WHERE fg.group_id = ug.id OFFSET 0) fg)
    OR CASE WHEN f.sync_group IS NULL THEN FALSE ELSE EXISTS (SELECT 1 FROM waffle_group_member gm
           JOIN waffle_flag_group fg ON fg.flag_id = f.id AND fg.group_id = gm.group_id
           WHERE gm.group_id = f.sync_group AND gm.user_id = $2::text OFFSET 0) END,
    NULL::boolean, NULL::text
FROM unnest((SELECT $1::text[])::text[]) AS n (name)
CROSS JOIN LATERAL (SELECT f.*, fs.group_id AS sync_group FROM waffle_flag f LEFT JOIN waffle_flag_sync fs ON fs.flag_id = f.id
                    WHERE f.name = n.name OFFSET 0) f
UNION ALL
SELECT 1, w.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, w.active, NULL
FROM waffle_switch w WHERE w.name = ANY ((SELECT $4::text[])::text[]);

-- name: batch_eval_all
-- Every flag, switch and sample (the status view and wafflejs), ordered by
-- kind and name; $1 and $2 as $2 and $3 of batch_eval.
SELECT * FROM (
SELECT 0 AS kind, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    f.id IN (SELECT fu.flag_id FROM waffle_flag_user fu WHERE fu.user_id = $1::text
             UNION ALL
             SELECT fg.flag_id FROM (
                 SELECT gm.group_id FROM waffle_group_member gm WHERE gm.user_id = $1::text AND NOT gm.synced
                 UNION ALL
                 SELECT g.id FROM waffle_group g WHERE g.name = ANY ((SELECT $2::text[])::text[])) ug (id),
                 LATERAL (SELECT fg.flag_id FROM waffle_flag_group fg WHERE fg.group_id = ug.id OFFSET 0) fg)
    OR CASE WHEN f.sync_group IS NULL THEN FALSE ELSE EXISTS (SELECT 1 FROM waffle_group_member gm
           JOIN waffle_flag_group fg ON fg.flag_id = f.id AND fg.group_id = gm.group_id
           WHERE gm.group_id = f.sync_group AND gm.user_id = $1::text OFFSET 0) END,
    NULL::boolean, NULL::text, f.modified
FROM (SELECT f.*, fs.group_id AS sync_group FROM waffle_flag f LEFT JOIN waffle_flag_sync fs ON fs.flag_id = f.id) f
UNION ALL
SELECT 1, w.name, NULL, NULL, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, w.active, NULL, w.modified
FROM waffle_switch w
UNION ALL
SELECT 2, p.name, NULL, p.percent, FALSE, FALSE, FALSE, FALSE, '', FALSE, NULL, FALSE, NULL, NULL, p.modified
FROM waffle_sample p
) b ORDER BY kind, name COLLATE "C";

-- name: batch_create_flags
-- The missing flags a batch read (Config.CreateMissingFlags): names $1 (a
-- text[] literal), everyone $2, at $3.
INSERT INTO waffle_flag (name, everyone, created, modified)
SELECT n, $2, $3, $3 FROM unnest($1::text[]) n ORDER BY n
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_switches
INSERT INTO waffle_switch (name, active, created, modified)
SELECT n, $2, $3, $3 FROM unnest($1::text[]) n ORDER BY n
ON CONFLICT (name) DO NOTHING;

-- name: batch_create_samples
INSERT INTO waffle_sample (name, percent, created, modified)
SELECT n, $2, $3, $3 FROM unnest($1::text[]) n ORDER BY n
ON CONFLICT (name) DO NOTHING;
