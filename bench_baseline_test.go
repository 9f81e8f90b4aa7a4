package waffle

import (
	"context"
	"database/sql"
)

// The Baseline: what a careful developer writes by hand with database/sql,
// a statement prepared once and one round trip per answer. Each is a
// function taking the name, as application code would call it (not inlined,
// so that the name is a value, not a constant, as in the library).

//go:noinline
func baselineSwitchIsActive(ctx context.Context, stmt *sql.Stmt, name string) (bool, error) {
	var active bool
	found, err := noRows(stmt.QueryRowContext(ctx, name).Scan(&active))
	return found && active, err
}
