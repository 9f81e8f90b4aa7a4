-- Time windows: waffle_flag_member. A window is active at an instant t when
-- start_at <= t AND (end_at IS NULL OR end_at > t): start inclusive, end
-- exclusive, no end means open-ended.

-- name: window_flag_id
SELECT id FROM waffle_flag WHERE name = $1;

-- name: window_insert
-- No row back means no flag called $1.
INSERT INTO waffle_flag_member (flag_id, user_id, start_at, end_at, note, created)
SELECT id, $2, $3, $4, $5, $6 FROM waffle_flag WHERE name = $1
RETURNING id;

-- name: window_get
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id = $1;

-- name: window_list
-- $1 lists windows after this id (keyset pagination), $2 the instant they
-- must be active at (NULL: every window), $3 the limit.
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id > $1
  AND ($2::timestamptz IS NULL OR (m.start_at <= $2 AND (m.end_at IS NULL OR m.end_at > $2)))
ORDER BY m.id
LIMIT $3;

-- name: window_list_flag
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id > $1
  AND ($2::timestamptz IS NULL OR (m.start_at <= $2 AND (m.end_at IS NULL OR m.end_at > $2)))
  AND f.name = $4
ORDER BY m.id
LIMIT $3;

-- name: window_list_user
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id > $1
  AND ($2::timestamptz IS NULL OR (m.start_at <= $2 AND (m.end_at IS NULL OR m.end_at > $2)))
  AND m.user_id = $4
ORDER BY m.id
LIMIT $3;

-- name: window_list_flag_user
SELECT m.id, f.name, m.user_id, m.start_at, m.end_at, m.note, m.created
FROM waffle_flag_member m JOIN waffle_flag f ON f.id = m.flag_id
WHERE m.id > $1
  AND ($2::timestamptz IS NULL OR (m.start_at <= $2 AND (m.end_at IS NULL OR m.end_at > $2)))
  AND f.name = $4 AND m.user_id = $5
ORDER BY m.id
LIMIT $3;

-- name: window_update
-- No row back means no window $1 or no flag $2. created stays as it is.
UPDATE waffle_flag_member
SET flag_id = f.id, user_id = $3, start_at = $4, end_at = $5, note = $6
FROM waffle_flag f
WHERE waffle_flag_member.id = $1 AND f.name = $2
RETURNING waffle_flag_member.created;

-- name: window_delete
DELETE FROM waffle_flag_member WHERE id = $1;
