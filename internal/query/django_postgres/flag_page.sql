-- Django mode's paged reads for the admin (flag_page.go): the library's own
-- statements' arguments and columns over django-waffle's tables. Users are
-- auth_user keys: a page is in key order, and after $3 is the last key of
-- the previous page ('' for the first; flag_page.go has checked it is a
-- key). Search $2 keeps the keys whose decimal text contains it.

-- name: flag_list_page
-- postgres/flag_list.sql's flag_list_page on Django's waffle_flag, which
-- has no ramp column (NULL: none).
SELECT id, name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, NULL::text AS ramp,
    created, modified, (SELECT COUNT(*) FROM waffle_flag
WHERE ($1 = '' OR strpos(lower(name), lower($1)) > 0)
  AND ($2 = '' OR ($2 = 'on' AND everyone) OR ($2 = 'off' AND NOT everyone) OR ($2 = 'unset' AND everyone IS NULL))
  AND ($3 = '' OR testing = ($3 = 'yes'))
  AND ($4 = '' OR (COALESCE(percent, 0) > 0) = ($4 = 'yes'))) AS total
FROM waffle_flag
WHERE ($1 = '' OR strpos(lower(name), lower($1)) > 0)
  AND ($2 = '' OR ($2 = 'on' AND everyone) OR ($2 = 'off' AND NOT everyone) OR ($2 = 'unset' AND everyone IS NULL))
  AND ($3 = '' OR testing = ($3 = 'yes'))
  AND ($4 = '' OR (COALESCE(percent, 0) > 0) = ($4 = 'yes'))
ORDER BY
    CASE WHEN NOT $6 THEN CASE $5 WHEN 'note' THEN note COLLATE "C" WHEN 'languages' THEN languages COLLATE "C" END END ASC,
    CASE WHEN $6 THEN CASE $5 WHEN 'note' THEN note COLLATE "C" WHEN 'languages' THEN languages COLLATE "C" END END DESC,
    CASE WHEN NOT $6 THEN CASE $5 WHEN 'everyone' THEN CASE WHEN everyone IS NULL THEN 0 WHEN everyone THEN 2 ELSE 1 END WHEN 'percent' THEN COALESCE(percent, -1) WHEN 'testing' THEN testing::int WHEN 'superusers' THEN superusers::int WHEN 'staff' THEN staff::int WHEN 'authenticated' THEN authenticated::int WHEN 'rollout' THEN rollout::int END END ASC,
    CASE WHEN $6 THEN CASE $5 WHEN 'everyone' THEN CASE WHEN everyone IS NULL THEN 0 WHEN everyone THEN 2 ELSE 1 END WHEN 'percent' THEN COALESCE(percent, -1) WHEN 'testing' THEN testing::int WHEN 'superusers' THEN superusers::int WHEN 'staff' THEN staff::int WHEN 'authenticated' THEN authenticated::int WHEN 'rollout' THEN rollout::int END END DESC,
    CASE WHEN NOT $6 THEN CASE $5 WHEN 'created' THEN created WHEN 'modified' THEN modified END END ASC,
    CASE WHEN $6 THEN CASE $5 WHEN 'created' THEN created WHEN 'modified' THEN modified END END DESC,
    CASE WHEN NOT $6 THEN name COLLATE "C" END ASC,
    CASE WHEN $6 THEN name COLLATE "C" END DESC
LIMIT $7 OFFSET $8;

-- name: flag_users_page
-- One page of a flag's users in waffle_flag_users ($1 the flag's name),
-- with the number that match, counted once; one row with a NULL user when
-- none matches; no row: no such flag. The page walks the (flag_id,
-- user_id) unique index.
WITH f AS (SELECT id FROM waffle_flag WHERE name = $1),
c AS (SELECT COUNT(*) AS n FROM waffle_flag_users u JOIN f ON u.flag_id = f.id
      WHERE $2 = '' OR strpos(u.user_id::text, $2) > 0),
p AS (SELECT fu.user_id FROM waffle_flag_users fu JOIN f ON fu.flag_id = f.id
      WHERE fu.user_id > COALESCE(NULLIF($3, ''), '0')::bigint AND ($2 = '' OR strpos(fu.user_id::text, $2) > 0)
      ORDER BY fu.user_id LIMIT $4)
SELECT f.id, c.n, p.user_id::text FROM f CROSS JOIN c LEFT JOIN p ON true
ORDER BY p.user_id;

-- name: group_members_page
-- One page of an auth_group's members in auth_user_groups (the sync's
-- WAFFLE_ members are rows there too), as flag_users_page.
WITH g AS (SELECT id FROM auth_group WHERE name = $1),
c AS (SELECT COUNT(*) AS n FROM auth_user_groups m JOIN g ON m.group_id = g.id
      WHERE $2 = '' OR strpos(m.user_id::text, $2) > 0),
p AS (SELECT m.user_id FROM auth_user_groups m JOIN g ON m.group_id = g.id
      WHERE m.user_id > COALESCE(NULLIF($3, ''), '0')::bigint AND ($2 = '' OR strpos(m.user_id::text, $2) > 0)
      ORDER BY m.user_id LIMIT $4)
SELECT g.id, c.n, p.user_id::text FROM g CROSS JOIN c LEFT JOIN p ON true
ORDER BY p.user_id;
