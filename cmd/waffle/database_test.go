package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The pure-Go driver gets the settings the library relies on from the DSN,
// on every connection of the pool.
func TestSQLiteSettings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "odd?#%name.db")
	db, err := openDB(path)
	require.NoError(t, err)
	defer closeDB(db)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	sqlDB.SetMaxOpenConns(3)
	conns := make([]*sql.Conn, 3) // held at once: three connections of the pool
	for i := range conns {
		conn, err := sqlDB.Conn(ctx)
		require.NoError(t, err)
		conns[i] = conn
	}
	defer func() { // before closeDB
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for _, conn := range conns {
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "1",
		} {
			var got string
			require.NoError(t, conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got), pragma)
			require.Equal(t, want, got, pragma)
		}
	}
	require.FileExists(t, path, "the name is a file name, not URI options")
}

func TestIsPostgres(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]bool{
		"postgres://u@h/db": true, "POSTGRESQL://h/db": true, "host=/tmp dbname=app": true,
		"user=u password=p host=h": true, "dbname = app": true,
		"app.db": false, "/var/lib/app/waffle.db": false, "file.db?x=1": false, "mysql://u@h/db": false,
	} {
		require.Equal(t, want, isPostgres(target), target)
	}
	for _, target := range []string{"mysql://u:p@h/db", "sqlserver://h", "file:///tmp/x.db", "a\x00b"} {
		require.Error(t, checkTarget(target), target)
	}
	require.NoError(t, checkTarget("app.db"))
}

// Processes writing one SQLite file at once wait for each other (busy
// timeout, immediate transactions) instead of failing with "database is
// locked": single statements, transactions and window inserts.
func TestBinaryConcurrentWriters(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "busy.db")
	for _, args := range [][]string{{"migrate"}, {"flag", "f", "--create"}} {
		_, errOut, code := runBinary(t, nil, "", append([]string{"--database", db}, args...)...)
		require.Equal(t, 0, code, errOut)
	}
	const procs, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan string, procs*rounds*3)
	for p := range procs {
		wg.Go(func() {
			for r := range rounds {
				for _, args := range [][]string{
					{"set", fmt.Sprintf("k%d_%d", p, r), "v"},
					{"load-json", "-"},
					{"window", "add", "f", fmt.Sprintf("u%d_%d", p, r)},
				} {
					stdin := fmt.Sprintf(`{"j%d_%d": "v"}`, p, r)
					_, errOut, code := runBinary(t, nil, stdin, append([]string{"--database", db}, args...)...)
					if code != 0 {
						errs <- errOut
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	out, errOut, code := runBinary(t, nil, "", "--database", db, "sync", "--json")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, fmt.Sprintf(`"active": %d`, procs*rounds))
}
