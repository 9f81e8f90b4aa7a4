-- Transactions the library opens itself run on one connection.

-- name: tx_begin
BEGIN;

-- name: tx_commit
COMMIT;

-- name: tx_rollback
ROLLBACK;
