-- waffle schema, version 4: nothing changes on PostgreSQL.
--
-- On SQLite this version moves the members of the groups a sync fills to a
-- table of their own, waffle_sync_member, because SQLite runs triggers for
-- each row and the sync's additions paid for migration 3's insert triggers.
-- PostgreSQL runs migration 3's triggers once per statement, and keeps every
-- member in waffle_group_member. The version exists on both databases so
-- that a schema's version means the same on each.
SELECT 1;
