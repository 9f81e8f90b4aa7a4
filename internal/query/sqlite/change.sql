-- Change tracking for watchers outside the store (the OpenFeature
-- provider's events): a cheap version to poll, and the list to diff when it
-- moves.

-- name: change_version
-- Run on a connection the watcher holds: the number moves when another
-- connection commits a change to the database file.
PRAGMA data_version;

-- name: change_list
-- Every key with its modified time, as text.
SELECT 'flag', name, CAST(modified AS TEXT) FROM waffle_flag
UNION ALL SELECT 'switch', name, CAST(modified AS TEXT) FROM waffle_switch
UNION ALL SELECT 'sample', name, CAST(modified AS TEXT) FROM waffle_sample
UNION ALL SELECT 'string', name, CAST(modified AS TEXT) FROM waffle_string_flag;
