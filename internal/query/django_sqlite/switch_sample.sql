-- Django mode: django-waffle's waffle_switch and waffle_sample. Django sets no
-- column defaults in the database, so every NOT NULL column is written.

-- name: switch_set
INSERT INTO waffle_switch (name, active, note, created, modified) VALUES (?1, ?2, '', ?3, ?3)
ON CONFLICT (name) DO UPDATE SET active = excluded.active, modified = excluded.modified;

-- name: switch_create_missing
INSERT INTO waffle_switch (name, active, note, created, modified) VALUES (?1, ?2, '', ?3, ?3)
ON CONFLICT (name) DO NOTHING;

-- name: sample_set
INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES (?1, ?2, '', ?3, ?3)
ON CONFLICT (name) DO UPDATE SET percent = excluded.percent, modified = excluded.modified;

-- name: sample_create_missing
INSERT INTO waffle_sample (name, percent, note, created, modified) VALUES (?1, ?2, '', ?3, ?3)
ON CONFLICT (name) DO NOTHING;

-- name: switch_set_audited
-- SetSwitch with its entry: the library's own statement, on the view Django
-- mode's migration creates over Django's waffle_switch. ?1 name, ?2 active,
-- ?3 time (Django's text), ?4 actor, ?5 the entry's time as text.
INSERT INTO waffle_switch_audited (name, active, now, at, actor) VALUES (?1, ?2, ?3, ?5, ?4);

-- name: sample_set_audited
INSERT INTO waffle_sample_audited (name, percent, now, at, actor) VALUES (?1, ?2, ?3, ?5, ?4);
