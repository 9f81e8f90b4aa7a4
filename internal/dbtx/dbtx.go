// Package dbtx is the library's statement plumbing: read statements prepared
// once per *sql.DB (StmtCache), connections that prepare the statements sent
// on them (Conn), and the write transactions the library opens itself, which
// wait for SQLite's write lock (WriteTx, Run).
//
// Statements are named: they come from a [query.Set], so the same code runs
// on every dialect.
package dbtx

import (
	"context"
	"database/sql"
)

// Execer is what statements run on: the pool, a transaction or a connection.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
