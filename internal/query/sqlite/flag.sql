-- Flags: waffle_flag, its users (waffle_flag_user) and groups
-- (waffle_flag_group). Lists arrive as JSON arrays of strings.

-- name: flag_eval
-- Everything one evaluation needs, in one statement: the flag's rules, and
-- whether the user (?2, '' when anonymous) is listed or in a listed group by
-- stored membership, or whether one of the request's extra group names (?3,
-- a JSON array, '[]' when none) is listed.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
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
                               WHERE fg.flag_id = f.id AND g.name IN (SELECT value FROM json_each(?3))))
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_create_missing
INSERT INTO waffle_flag (name, everyone, created, modified) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (name) DO NOTHING;

-- name: flag_touch
-- Sets modified and returns the flag's ID (no row: no such flag).
UPDATE waffle_flag SET modified = ?2 WHERE name = ?1 RETURNING id;

-- name: flag_id
SELECT id FROM waffle_flag WHERE name = ?1;

-- name: flag_users
SELECT user_id FROM waffle_flag_user WHERE flag_id = ?1 ORDER BY user_id;

-- name: flag_groups
SELECT g.name FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
WHERE fg.flag_id = ?1 ORDER BY g.name;

-- name: flag_users_add
INSERT INTO waffle_flag_user (flag_id, user_id)
SELECT ?1, value FROM json_each(?2) WHERE true
ON CONFLICT DO NOTHING;

-- name: flag_users_remove
DELETE FROM waffle_flag_user WHERE flag_id = ?1 AND user_id IN (SELECT value FROM json_each(?2));

-- name: flag_users_keep_only
DELETE FROM waffle_flag_user WHERE flag_id = ?1 AND user_id NOT IN (SELECT value FROM json_each(?2));

-- name: flag_groups_add
INSERT INTO waffle_flag_group (flag_id, group_id)
SELECT ?1, g.id FROM waffle_group g WHERE g.name IN (SELECT value FROM json_each(?2))
ON CONFLICT DO NOTHING;

-- name: flag_groups_remove
DELETE FROM waffle_flag_group WHERE flag_id = ?1
AND group_id IN (SELECT id FROM waffle_group WHERE name IN (SELECT value FROM json_each(?2)));

-- name: flag_groups_keep_only
-- Leaves the WAFFLE_ groups that SyncMembership attaches.
DELETE FROM waffle_flag_group WHERE flag_id = ?1
AND group_id IN (SELECT id FROM waffle_group
                 WHERE substr(name, 1, 7) <> 'WAFFLE_' AND name NOT IN (SELECT value FROM json_each(?2)));

-- name: flag_delete_windows
DELETE FROM waffle_flag_member WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = ?1);

-- name: flag_delete_users
DELETE FROM waffle_flag_user WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = ?1);

-- name: flag_delete_groups
DELETE FROM waffle_flag_group WHERE flag_id IN (SELECT id FROM waffle_flag WHERE name = ?1);

-- name: flag_delete
DELETE FROM waffle_flag WHERE name = ?1;

-- name: flag_all_users
-- Every flag's users, for ListFlags.
SELECT flag_id, user_id FROM waffle_flag_user ORDER BY flag_id, user_id;

-- name: flag_all_groups
-- Every flag's groups, for ListFlags.
SELECT fg.flag_id, g.name FROM waffle_flag_group fg JOIN waffle_group g ON g.id = fg.group_id
ORDER BY fg.flag_id, g.name;

-- name: flag_eval_detail
-- flag_eval for FlagDetail: the same row, with the match in place of the
-- membership column: 'u' (the user is listed), 'g' and the name of a group
-- that matched (the first found; of the request's names, the least), or
-- NULL (sqlite/flag_eval.sql: flag_eval_user_detail). The request's names are
-- probed one by one, by name and by waffle_flag_group's primary key, never
-- by the flag's list of groups.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    CASE WHEN ?2 <> '' AND EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2) THEN 'u'
        ELSE 'g' || COALESCE(
            CASE WHEN ?2 <> '' THEN COALESCE((SELECT g.name FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   JOIN waffle_group g ON g.id = bu.group_id
                   WHERE bu.user_id = ?2 LIMIT 1),
                (SELECT g.name FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
                   WHERE g.name = 'WAFFLE_' || f.name)) END,
            CASE WHEN ?3 <> '[]' THEN (SELECT min(g.name) FROM waffle_group g
                   WHERE g.name IN (SELECT value FROM json_each(?3))
                     AND EXISTS (SELECT 1 FROM waffle_flag_group fg WHERE fg.flag_id = f.id AND fg.group_id = g.id)) END) END AS detail
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_eval_meta
-- flag_eval_detail for FlagDetailMeta: the match, or '-', then the modified
-- time, then the note (last: free text), separated by the unit separator
-- (char 31), which no name holds. One text column rather than three
-- (PostgreSQL's form): go-sqlite3 parses a DATETIME column with
-- time.ParseInLocation over its list of layouts, and every column costs cgo
-- calls; the library reads this text itself.
SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    CASE WHEN ?2 <> '' AND EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = ?2) THEN 'u'
        ELSE COALESCE('g' || COALESCE(
            CASE WHEN ?2 <> '' THEN COALESCE((SELECT g.name FROM waffle_group_member_by_user bu
                   JOIN waffle_flag_group fg ON fg.group_id = bu.group_id AND fg.flag_id = f.id
                   JOIN waffle_group g ON g.id = bu.group_id
                   WHERE bu.user_id = ?2 LIMIT 1),
                (SELECT g.name FROM waffle_group g
                   JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
                   JOIN waffle_sync_member gm ON gm.group_id = g.id AND gm.user_id = ?2
                   WHERE g.name = 'WAFFLE_' || f.name)) END,
            CASE WHEN ?3 <> '[]' THEN (SELECT min(g.name) FROM waffle_group g
                   WHERE g.name IN (SELECT value FROM json_each(?3))
                     AND EXISTS (SELECT 1 FROM waffle_flag_group fg WHERE fg.flag_id = f.id AND fg.group_id = g.id)) END), '-') END
        || char(31) || f.modified || char(31) || f.note AS detail
FROM waffle_flag f WHERE f.name = ?1;

-- name: flag_users_page
-- One page of a flag's users (?1 the flag's name) that contain ?2, after
-- ?3, at most ?4, each with the number of matching users, counted once. A
-- flag without a matching user gives one row whose user is NULL; no row: no
-- such flag.
WITH f AS (SELECT id FROM waffle_flag WHERE name = ?1),
c AS (SELECT COUNT(*) AS n FROM waffle_flag_user u JOIN f ON u.flag_id = f.id WHERE (?2 = '' OR instr(u.user_id, ?2) > 0)),
p AS (SELECT fu.user_id FROM waffle_flag_user fu JOIN f ON fu.flag_id = f.id
      WHERE fu.user_id > ?3 AND (?2 = '' OR instr(fu.user_id, ?2) > 0)
      ORDER BY fu.user_id LIMIT ?4)
SELECT f.id, c.n, p.user_id FROM f CROSS JOIN c LEFT JOIN p ON true
ORDER BY p.user_id;
