-- The admin's page of flags: filtered, sorted and cut in the database, so
-- that a page costs one statement and moves only its rows.

-- name: flag_list_page
-- One page of flags for the admin's list: names containing $1 (ASCII case
-- ignored; '' for all), everyone $2 ('on', 'off', 'unset', '' for any),
-- testing $3 and "has a percent above 0" $4 ('yes', 'no', '' for any),
-- sorted by column $5 (ties, and '' or 'name', by the name), descending
-- when $6, $7 rows from row $8, each with the number of flags that
-- match (counted once: an uncorrelated subquery). The sort keys are one per
-- type of column, so a row costs three CASE expressions.
SELECT id, name, everyone, percent, testing, superusers, staff, authenticated, languages, rollout, note, ramp,
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
