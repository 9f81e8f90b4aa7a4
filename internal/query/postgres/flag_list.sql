-- The admin's page of flags: filtered, sorted and cut in the database, so
-- that a page costs one statement and moves only its rows.

-- name: flag_list_page
-- One page of flags for the admin's list: names containing $1 (ASCII case
-- ignored; '' for all), everyone $2 ('on', 'off', 'unset', '' for any),
-- testing $3 and "has a percent above 0" $4 ('yes', 'no', '' for any),
-- sorted by column $5 ('' or 'name' for the name), descending when $6,
-- $7 rows from row $8, each with the number of flags that match.
SELECT id, name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, ramp,
    created, modified, COUNT(*) OVER () AS total
FROM waffle_flag
WHERE ($1 = '' OR strpos(lower(name), lower($1)) > 0)
  AND ($2 = '' OR ($2 = 'on' AND everyone) OR ($2 = 'off' AND NOT everyone) OR ($2 = 'unset' AND everyone IS NULL))
  AND ($3 = '' OR testing = ($3 = 'yes'))
  AND ($4 = '' OR (COALESCE(percent, 0) > 0) = ($4 = 'yes'))
ORDER BY
    CASE WHEN $5 = 'note' AND NOT $6 THEN note COLLATE "C" END ASC,
    CASE WHEN $5 = 'note' AND $6 THEN note COLLATE "C" END DESC,
    CASE WHEN $5 = 'everyone' AND NOT $6 THEN CASE WHEN everyone IS NULL THEN 0 WHEN everyone THEN 2 ELSE 1 END END ASC,
    CASE WHEN $5 = 'everyone' AND $6 THEN CASE WHEN everyone IS NULL THEN 0 WHEN everyone THEN 2 ELSE 1 END END DESC,
    CASE WHEN $5 = 'percent' AND NOT $6 THEN COALESCE(percent, -1) END ASC,
    CASE WHEN $5 = 'percent' AND $6 THEN COALESCE(percent, -1) END DESC,
    CASE WHEN $5 = 'testing' AND NOT $6 THEN testing END ASC,
    CASE WHEN $5 = 'testing' AND $6 THEN testing END DESC,
    CASE WHEN $5 = 'superusers' AND NOT $6 THEN superusers END ASC,
    CASE WHEN $5 = 'superusers' AND $6 THEN superusers END DESC,
    CASE WHEN $5 = 'staff' AND NOT $6 THEN staff END ASC,
    CASE WHEN $5 = 'staff' AND $6 THEN staff END DESC,
    CASE WHEN $5 = 'authenticated' AND NOT $6 THEN authenticated END ASC,
    CASE WHEN $5 = 'authenticated' AND $6 THEN authenticated END DESC,
    CASE WHEN $5 = 'languages' AND NOT $6 THEN languages COLLATE "C" END ASC,
    CASE WHEN $5 = 'languages' AND $6 THEN languages COLLATE "C" END DESC,
    CASE WHEN $5 = 'rollout' AND NOT $6 THEN rollout END ASC,
    CASE WHEN $5 = 'rollout' AND $6 THEN rollout END DESC,
    CASE WHEN $5 = 'created' AND NOT $6 THEN created END ASC,
    CASE WHEN $5 = 'created' AND $6 THEN created END DESC,
    CASE WHEN $5 = 'modified' AND NOT $6 THEN modified END ASC,
    CASE WHEN $5 = 'modified' AND $6 THEN modified END DESC,
    CASE WHEN NOT $6 THEN name COLLATE "C" END ASC,
    CASE WHEN $6 THEN name COLLATE "C" END DESC
LIMIT $7 OFFSET $8;
