package dbopen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A SQLite file opened here has the settings the library relies on (SPEC
// §8): WAL, a busy timeout and foreign keys, on every connection of the pool.
func TestOpenSQLiteSettings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "odd ?#% name.db")
	db, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = Close(db) })
	sqlDB, err := db.DB()
	require.NoError(t, err)
	sqlDB.SetMaxOpenConns(3)

	conns := make([]interface{ Close() error }, 3)
	for i := range conns {
		conn, err := sqlDB.Conn(t.Context())
		require.NoError(t, err)
		conns[i] = conn
		var mode string
		var timeout, fk int
		require.NoError(t, conn.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode))
		require.NoError(t, conn.QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&timeout))
		require.NoError(t, conn.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk))
		require.Equal(t, "wal", mode, "connection %d", i)
		require.Equal(t, 10000, timeout, "connection %d", i)
		require.Equal(t, 1, fk, "connection %d", i)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	_, err = os.Stat(path)
	require.NoError(t, err, "the file is created at the path as given")
}

func TestOpenBadTarget(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"", "  ", "a\x00b", "postgres://%zz"} {
		_, err := Open(target)
		require.True(t, errors.Is(err, ErrBadTarget), "%q: %v", target, err)
	}
	require.True(t, IsPostgres("postgresql://u@h/db"))
	require.True(t, IsPostgres("host=/tmp dbname=app"))
	require.False(t, IsPostgres("app.db"))
}
