-- Change tracking for watchers outside the store (the OpenFeature
-- provider's events): a cheap version to poll, and the list to diff when it
-- moves.

-- name: change_version
-- Moves when a row is added, changed (modified) or deleted (count) in one
-- of the tables whose rows are flag keys. Text, compared for equality.
SELECT concat_ws('|',
    (SELECT count(*) || ':' || coalesce(max(modified)::text, '') FROM waffle_flag),
    (SELECT count(*) || ':' || coalesce(max(modified)::text, '') FROM waffle_switch),
    (SELECT count(*) || ':' || coalesce(max(modified)::text, '') FROM waffle_sample),
    (SELECT count(*) || ':' || coalesce(max(modified)::text, '') FROM waffle_string_flag));

-- name: change_list
-- Every key with its modified time, as text.
SELECT 'flag', name, modified::text FROM waffle_flag
UNION ALL SELECT 'switch', name, modified::text FROM waffle_switch
UNION ALL SELECT 'sample', name, modified::text FROM waffle_sample
UNION ALL SELECT 'string', name, modified::text FROM waffle_string_flag;
