-- Listings for the status view and wafflejs: names, states and modified
-- times only, ordered by name.

-- name: status_flags
SELECT name, modified FROM waffle_flag ORDER BY name COLLATE "C";

-- name: status_switches
SELECT name, active, modified FROM waffle_switch ORDER BY name COLLATE "C";

-- name: status_samples
SELECT name, percent, modified FROM waffle_sample ORDER BY name COLLATE "C";
