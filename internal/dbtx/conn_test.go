package dbtx

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

const createTable = "CREATE TABLE dbtx_row (v INTEGER)"

// With prepare, a statement is prepared on its first use and reused; without
// it, nothing is prepared. A statement that cannot be prepared runs
// unprepared, so the caller sees the database's error.
func TestConnPrepare(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		g := db.Open(t)
		require.NoError(t, g.Exec(createTable).Error)
		for _, prepare := range []bool{true, false} {
			c, err := Open(ctx, sqlDBOf(t, g), prepare)
			require.NoError(t, err)
			for range 2 {
				_, err = c.ExecContext(ctx, "INSERT INTO dbtx_row (v) VALUES (1)")
				require.NoError(t, err)
				var n int
				require.NoError(t, c.QueryRowContext(ctx, "SELECT count(*) FROM dbtx_row").Scan(&n))
				require.NoError(t, countQuery(ctx, c))
			}
			_, err = c.ExecContext(ctx, "INSERT INTO dbtx_missing (v) VALUES (1)")
			require.Error(t, err)
			if prepare {
				require.Len(t, c.stmts, 3, "one statement per query text, the failed one not kept")
			} else {
				require.Nil(t, c.stmts)
			}
			require.NoError(t, c.Close())
			require.Nil(t, c.stmts, "Close closes the statements")
		}
		var n int64
		require.NoError(t, g.Raw("SELECT count(*) FROM dbtx_row").Scan(&n).Error)
		require.Equal(t, int64(4), n)
	})
}

// countQuery runs a query through c.QueryContext and reads its rows.
func countQuery(ctx context.Context, c *Conn) error {
	rows, err := c.QueryContext(ctx, "SELECT v FROM dbtx_row")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// Close returns the connection to the pool; Discard closes it, so the pool
// holds one connection fewer.
func TestConnDiscard(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		g := db.Open(t)
		s, err := g.DB()
		require.NoError(t, err)

		c, err := Open(ctx, sqlDBOf(t, g), true)
		require.NoError(t, err)
		_, err = c.ExecContext(ctx, "SELECT 1")
		require.NoError(t, err)
		require.False(t, c.Discarded())
		require.NoError(t, c.Close())
		require.Equal(t, 1, s.Stats().Idle, "returned to the pool")

		c, err = Open(ctx, sqlDBOf(t, g), true)
		require.NoError(t, err)
		_, err = c.ExecContext(ctx, "SELECT 1")
		require.NoError(t, err)
		c.Discard()
		require.True(t, c.Discarded())
		require.Nil(t, c.stmts, "statements closed first")
		_ = c.Close()
		require.Zero(t, s.Stats().OpenConnections, "not returned to the pool")
	})
}
