-- Django mode: django-waffle's waffle_switch and waffle_sample. Django sets no
-- column defaults in the database, so every NOT NULL column is written.

-- name: switch_set
INSERT INTO waffle_switch (name, active, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO UPDATE SET active = excluded.active, modified = excluded.modified;

-- name: switch_create_missing
INSERT INTO waffle_switch (name, active, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO NOTHING;

-- name: sample_set
INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO UPDATE SET percent = excluded.percent, modified = excluded.modified;

-- name: sample_create_missing
INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES ($1, $2, '', $3, $3)
ON CONFLICT (name) DO NOTHING;
