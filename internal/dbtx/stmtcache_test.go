package dbtx

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/internal/testdb"
)

// sqlDB opens a handle of its own on db and returns its *sql.DB.
func sqlDB(t *testing.T, db *testdb.DB) *sql.DB {
	t.Helper()
	s, err := db.Open(t).DB()
	require.NoError(t, err)
	return s
}

// A statement is prepared once per *sql.DB and reused after, by every caller.
func TestStmtCacheGet(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		q := query.For(db.Kind)
		one, other := sqlDB(t, db), sqlDB(t, db)
		var c StmtCache

		first, err := c.Get(ctx, one, q, "tx_commit")
		require.NoError(t, err)
		again, err := c.Get(ctx, one, q, "tx_commit")
		require.NoError(t, err)
		require.Same(t, first, again, "prepared once per *sql.DB")

		elsewhere, err := c.Get(ctx, other, q, "tx_commit")
		require.NoError(t, err)
		require.NotSame(t, first, elsewhere, "another *sql.DB prepares its own")

		var wg sync.WaitGroup
		got := make([]*sql.Stmt, 8)
		for i := range got {
			wg.Go(func() {
				st, err := c.Get(ctx, one, q, "tx_rollback") //nolint:sqlclosecheck // the cache owns it
				if err == nil {
					got[i] = st
				}
			})
		}
		wg.Wait()
		for _, st := range got {
			require.NotNil(t, st)
			require.Same(t, got[0], st, "concurrent callers share one statement")
		}
	})
}

// A failed prepare returns its error and caches nothing: the next call
// prepares the statement.
func TestStmtCacheGetPrepareFails(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		q := query.For(db.Kind)
		s := sqlDB(t, db)
		var c StmtCache
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st, err := c.Get(ctx, s, q, "tx_commit")
		require.ErrorIs(t, err, context.Canceled)
		require.Nil(t, st)

		st, err = c.Get(context.Background(), s, q, "tx_commit")
		require.NoError(t, err)
		require.NotNil(t, st)
	})
}
