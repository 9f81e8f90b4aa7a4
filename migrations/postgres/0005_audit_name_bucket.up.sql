-- waffle schema, version 5: on SQLite, the audit trail's name index groups
-- entries by bucket of id (docs/audit.md). Nothing changes on PostgreSQL:
-- its (name, id) index lives in shared buffers, where an entry beside its
-- name's older ones costs one index descent like any other, and its WAL
-- logs the inserted tuple rather than the whole page (but for a page's
-- first change after a checkpoint): a batch of 10,000 entries measured the
-- same with the index, with the bucketed one and without. The version
-- exists so that both dialects have the same numbers.

SELECT 1;
