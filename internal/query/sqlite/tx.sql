-- Transactions the library opens itself run on one connection. IMMEDIATE takes
-- the write lock at BEGIN, so two writers queue on the busy timeout instead of
-- failing when both try to upgrade a read lock.

-- name: tx_begin
BEGIN IMMEDIATE;

-- name: tx_commit
COMMIT;

-- name: tx_rollback
ROLLBACK;
