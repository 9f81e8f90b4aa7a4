-- waffle schema, version 2: an index that covers the membership sync.
-- SyncMembership looks up windows by (flag_id, user_id) and checks start_at
-- and end_at: with them in the index it never visits the table (an
-- index-only scan). It replaces the (flag_id, user_id) index, its prefix.

CREATE INDEX IF NOT EXISTS waffle_flag_member_sync_idx ON waffle_flag_member (flag_id, user_id, start_at, end_at);
DROP INDEX IF EXISTS waffle_flag_member_flag_user_idx;
