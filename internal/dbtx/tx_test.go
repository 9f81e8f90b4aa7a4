package dbtx

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/dbopen"
	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/internal/testdb"
)

var errFn = errors.New("fn failed")

func countRows(t *testing.T, g *gorm.DB) int64 {
	t.Helper()
	var n int64
	require.NoError(t, g.Raw("SELECT count(*) FROM dbtx_row").Scan(&n).Error)
	return n
}

func insertRow(ex Execer) error {
	_, err := ex.ExecContext(context.Background(), "INSERT INTO dbtx_row (v) VALUES (1)")
	return err
}

// WriteTx commits fn's statements when fn returns nil and rolls them back
// when it fails; bound to the application's transaction it runs fn in it.
func TestWriteTx(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		q := query.For(db.Kind)
		g := db.Open(t)
		require.NoError(t, g.Exec(createTable).Error)
		require.False(t, InAppTx(g))

		require.NoError(t, WriteTx(ctx, g, primaryOf(g), q, insertRow))
		require.Equal(t, int64(1), countRows(t, g))

		err := WriteTx(ctx, g, primaryOf(g), q, func(ex Execer) error {
			require.NoError(t, insertRow(ex))
			return errFn
		})
		require.ErrorIs(t, err, errFn)
		require.Equal(t, int64(1), countRows(t, g), "rolled back")

		err = g.Transaction(func(tx *gorm.DB) error {
			require.True(t, InAppTx(tx))
			require.NoError(t, WriteTx(ctx, tx, primaryOf(tx), q, insertRow))
			require.Equal(t, int64(2), countRows(t, tx), "seen in the application's transaction")
			return errFn
		})
		require.ErrorIs(t, err, errFn)
		require.Equal(t, int64(1), countRows(t, g), "rolled back with the application's transaction")

		called := false
		ctxDone, cancel := context.WithCancel(ctx)
		cancel()
		err = WriteTx(ctxDone, g, primaryOf(g), q, func(Execer) error { called = true; return nil })
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, called, "a cancelled context runs nothing")
	})
}

// Begin waits while another connection holds SQLite's write lock, even on a
// handle without a busy timeout, and gives up when ctx ends.
func TestBeginWaitsForLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := query.For(query.SQLite)
	dsn := "file:" + filepath.Join(t.TempDir(), "lock.db") + "?_journal_mode=WAL&_busy_timeout=0"
	g, err := gorm.Open(sqlite.Open(dsn), dbopen.Config())
	require.NoError(t, err)
	s, err := g.DB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, g.Exec(createTable).Error)

	holder, err := Open(ctx, sqlDBOf(t, g), false)
	require.NoError(t, err)
	defer holder.Close()
	waiter, err := Open(ctx, sqlDBOf(t, g), false)
	require.NoError(t, err)
	defer waiter.Close()

	require.NoError(t, Begin(ctx, holder, q))
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	err = Begin(short, waiter, q)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, IsBusy(err), "the database's error is kept: %v", err)

	released := make(chan error, 1)
	time.AfterFunc(50*time.Millisecond, func() {
		_, err := holder.ExecContext(ctx, q.SQL("tx_commit"))
		released <- err
	})
	require.NoError(t, Begin(ctx, waiter, q), "waits for the lock")
	require.NoError(t, <-released)
	_, err = waiter.ExecContext(ctx, q.SQL("tx_commit"))
	require.NoError(t, err)
}

// A rollback that fails (SQLite: no transaction is open) discards the
// connection rather than return it to the pool.
func TestRollbackDiscards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t, testdb.SQLite)
	g := db.Open(t)
	q := query.For(db.Kind)

	c, err := Open(ctx, sqlDBOf(t, g), false)
	require.NoError(t, err)
	require.NoError(t, Begin(ctx, c, q))
	Rollback(c, q)
	require.False(t, c.Discarded(), "a rollback that succeeds keeps the connection")

	Rollback(c, q)
	require.True(t, c.Discarded())
	_ = c.Close()
}

func TestIsBusy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errors.New("database is locked"), true},
		{errors.New("begin: SQLITE_BUSY (5)"), true},
		{errors.Join(context.Canceled, errors.New("database is locked (5) (SQLITE_BUSY)")), true},
		{errors.New("no such table: x"), false},
		{context.DeadlineExceeded, false},
	} {
		require.Equal(t, tc.want, IsBusy(tc.err), tc.err.Error())
	}
}

// sqlDBOf returns g's connection pool.
func sqlDBOf(t testing.TB, g *gorm.DB) *sql.DB {
	t.Helper()
	db, err := g.DB()
	require.NoError(t, err)
	return db
}

// primaryOf is WriteTx's primary for g: its own pool.
func primaryOf(g *gorm.DB) func() (*sql.DB, error) { return g.DB }
