-- waffle schema, version 5: the audit trail's name index groups entries by
-- bucket of id (docs/audit.md, "Why the name index leads with a bucket").
--
-- (name, id) put each new entry beside the older entries of its name: a
-- SetFromJSON of 10,000 keys dirtied nearly every page of that index, and
-- SQLite's WAL writes whole pages, so its cost grew with the history (64 ms
-- at the first round of the benchmark, 147 ms at the sixth, against 16 ms
-- without auditing). ((id >> 16), name) keeps the entries of 65,536
-- consecutive ids together: a batch's entries land in the newest bucket
-- only, whatever the length of the history. An index of a rowid table ends
-- with the rowid (id), so within a bucket a name's entries are in id order,
-- without storing id twice. A page filtered by name reads bucket by bucket,
-- newest first (one index search per bucket: 16 for 1,000,000 entries).

DROP INDEX IF EXISTS waffle_audit_name_idx;
CREATE INDEX IF NOT EXISTS waffle_audit_bucket_name_idx ON waffle_audit ((id >> 16), name);
