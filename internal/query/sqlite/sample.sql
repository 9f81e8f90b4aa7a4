-- Samples: waffle_sample.

-- name: sample_percent
SELECT percent FROM waffle_sample WHERE name = ?1;

-- name: sample_set
-- Leaves note and the application's own columns as they are.
INSERT INTO waffle_sample (name, percent, created, modified) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (name) DO UPDATE SET percent = excluded.percent, modified = excluded.modified;

-- name: sample_create_missing
INSERT INTO waffle_sample (name, percent, created, modified) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (name) DO NOTHING;

-- name: sample_delete
DELETE FROM waffle_sample WHERE name = ?1;

-- name: sample_detail
SELECT percent, note, modified FROM waffle_sample WHERE name = ?1;
