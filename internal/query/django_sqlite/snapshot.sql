-- Django mode's in-process snapshot (snapshot.go, snapshot_django.go): the
-- library's snapshot statements on django-waffle's tables, and the
-- fingerprint the Django-mode poller compares, since Django's writes fire
-- none of the library's change triggers.

-- name: snapshot_flags
-- Every flag's rules (Django's waffle_flag has no ramp); how many users it
-- lists, counted up to ?1; no synced group of the library's own (the sync's
-- WAFFLE_<name> auth_group is one of the flag's waffle_flag_groups).
SELECT f.id, f.name, f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, NULL,
    (SELECT count(*) FROM (SELECT 1 FROM waffle_flag_users fu WHERE fu.flag_id = f.id LIMIT ?1)),
    NULL,
    f.modified
FROM waffle_flag f;

-- name: snapshot_flag_users
-- The users (auth_user keys, as decimal text) of the flags ?1 (a JSON array).
SELECT fu.flag_id, CAST(fu.user_id AS TEXT) FROM waffle_flag_users fu WHERE fu.flag_id IN (SELECT value FROM json_each(?1));

-- name: snapshot_flag_groups
SELECT fg.flag_id, g.id, g.name FROM waffle_flag_groups fg JOIN auth_group g ON g.id = fg.group_id;

-- name: snapshot_memberships
-- A user's memberships the snapshot does not hold: kind 0, the user's
-- auth_groups (auth_user_groups, by its user_id index); kind 1, which of the
-- flags with many users ?3 (a JSON array) list the user. ?1 is the User.ID
-- as given: only a canonical positive decimal of at most 18 digits is an
-- auth_user key (djangoUserID); anything else matches nothing. ?2, the
-- library's synced groups, is always empty in Django mode.
SELECT 0, ug.group_id FROM auth_user_groups ug
WHERE ug.user_id = (CASE WHEN length(?1) BETWEEN 1 AND 18 AND ?1 NOT GLOB '*[^0-9]*' AND ?1 NOT GLOB '0*'
                         THEN CAST(?1 AS INTEGER) END)
  AND json_array_length(?2) >= 0
UNION ALL
SELECT 1, fu.flag_id FROM waffle_flag_users fu
WHERE fu.flag_id IN (SELECT value FROM json_each(?3))
  AND fu.user_id = (CASE WHEN length(?1) BETWEEN 1 AND 18 AND ?1 NOT GLOB '*[^0-9]*' AND ?1 NOT GLOB '0*'
                         THEN CAST(?1 AS INTEGER) END);

-- name: django_snapshot_fingerprint
-- One text that changes with every change Django's ORM and admin make to
-- what the snapshot holds: a model's save() moves its modified (auto_now),
-- a create moves max(id) (AUTOINCREMENT: ids are never reused), a delete
-- lowers count(*), a many-to-many add or remove (rows inserted and deleted,
-- never updated) moves max(id) or count(*), and a rename of a group attached
-- to a flag changes the list of those groups' names. A change that moves
-- none of them (QuerySet.update(), raw SQL) is found by the periodic full
-- reload.
SELECT (SELECT count(*) || ',' || coalesce(max(id), 0) || ',' || coalesce(max(modified), '') || ',' ||
               total(julianday(modified)) FROM waffle_flag)
    || '|' || (SELECT count(*) || ',' || coalesce(max(id), 0) FROM waffle_flag_users)
    || '|' || (SELECT count(*) || ',' || coalesce(max(id), 0) FROM waffle_flag_groups)
    || '|' || coalesce((SELECT group_concat(x, ',') FROM (
                   SELECT g.id || ':' || g.name AS x FROM auth_group g
                   WHERE g.id IN (SELECT group_id FROM waffle_flag_groups) ORDER BY g.id)), '')
    || '|' || (SELECT count(*) || ',' || coalesce(max(id), 0) || ',' || coalesce(max(modified), '') || ',' ||
               total(julianday(modified)) FROM waffle_switch)
    || '|' || (SELECT count(*) || ',' || coalesce(max(id), 0) || ',' || coalesce(max(modified), '') || ',' ||
               total(julianday(modified)) FROM waffle_sample)
    || '|' || (SELECT count(*) || ',' || coalesce(max(id), 0) || ',' || coalesce(max(modified), '') || ',' ||
               total(julianday(modified)) FROM waffle_string_flag);
