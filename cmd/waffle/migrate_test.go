package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		c := &cli{t: t, db: db}
		ms, err := waffle.Migrations(db.Kind)
		require.NoError(t, err)
		require.NotEmpty(t, ms)

		status := lines(c.ok("migrate", "status"))
		require.Regexp(t, `^VERSION\s+NAME\s+APPLIED$`, status[0])
		require.Len(t, status, len(ms)+1)
		for i, m := range ms {
			require.Regexp(t, fmt.Sprintf(`^%d\s+%s\s+no$`, m.Version, regexp.QuoteMeta(m.Name)), status[i+1])
		}

		out := lines(c.ok("migrate"))
		require.Len(t, out, len(ms))
		for i, m := range ms {
			require.Equal(t, fmt.Sprintf("Applied version %d: %s", m.Version, m.Name), out[i])
		}
		upToDate := fmt.Sprintf("The schema is up to date (version %d).\n", len(ms))
		require.Equal(t, upToDate, c.ok("migrate", "up"), "idempotent")

		status = lines(c.ok("migrate", "status"))
		for i, m := range ms {
			require.Regexp(t, fmt.Sprintf(`^%d\s+%s\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, m.Version, regexp.QuoteMeta(m.Name)), status[i+1])
		}

		var js []migrationJSON
		require.NoError(t, json.Unmarshal([]byte(c.ok("migrate", "status", "--json")), &js))
		require.Len(t, js, len(ms))
		for _, m := range js {
			require.True(t, m.Applied)
			require.NotNil(t, m.AppliedAt)
		}

		st, err := c.store().MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range st {
			require.True(t, m.Applied)
		}
	})
}

func TestMigrateStatusJSONBeforeMigrate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		c := &cli{t: t, db: db}
		out := c.ok("migrate", "status", "--json")
		require.Contains(t, out, `"applied_at": null`)
	})
}

func TestMigrateSQL(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	for _, d := range []string{"postgres", "sqlite"} {
		want, err := waffle.MigrationScript(d)
		require.NoError(t, err)
		require.Equal(t, want, c.ok("migrate", "sql", "--dialect", d))
	}
	// Without --dialect, the database's.
	pg := c.ok("--database", "postgres://h/db", "migrate", "sql")
	require.True(t, strings.HasPrefix(pg, "-- waffle schema for postgres"), pg[:40])
	lite := c.ok("migrate", "sql", "--database", "app.db")
	require.True(t, strings.HasPrefix(lite, "-- waffle schema for sqlite"), lite[:40])
}

// The printed script is what a team's own migration tool runs: after it, the
// library finds the schema up to date and the command works.
func TestMigrateSQLAppliedByHand(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		c := &cli{t: t, db: db}
		script := c.ok("migrate", "sql", "--dialect", db.Kind)
		sqlDB, err := db.Open(t).DB()
		require.NoError(t, err)
		if db.Kind == testdb.SQLite {
			_, err = sqlDB.Exec(script)
		} else {
			conn, cerr := sqlDB.Conn(ctx)
			require.NoError(t, cerr)
			defer conn.Close()
			_, err = conn.ExecContext(ctx, script)
		}
		require.NoError(t, err)
		require.Contains(t, c.ok("migrate"), "The schema is up to date")
		c.ok("switch", "x", "on", "--create")
	})
}
