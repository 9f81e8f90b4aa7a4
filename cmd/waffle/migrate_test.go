package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

func TestMigrate(t *testing.T) {
	eachEmptyDB(t, func(t *testing.T, c *cli) {
		ms := c.migrations()
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
	eachEmptyDB(t, func(t *testing.T, c *cli) {
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

		// One version's step, up or down.
		ms, err := waffle.Migrations(d)
		require.NoError(t, err)
		for _, m := range ms {
			v := strconv.Itoa(m.Version)
			require.Equal(t, m.Up, c.ok("migrate", "sql", "--dialect", d, "--version", v))
			require.Equal(t, m.Down, c.ok("migrate", "sql", "--dialect", d, "--version", v, "--down"))
		}
		require.Contains(t, c.fails(2, "migrate", "sql", "--dialect", d, "--version", "99"), "no version 99")
		require.Contains(t, c.fails(2, "migrate", "sql", "--dialect", d, "--down"), "--down needs --version")
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
	eachEmptyDB(t, func(t *testing.T, c *cli) {
		script := c.ok("migrate", "sql", "--dialect", c.db.Kind)
		sqlDB, err := c.db.Open(t).DB()
		require.NoError(t, err)
		if c.db.Kind == testdb.SQLite {
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

func TestMigrateDownNeedsTarget(t *testing.T) {
	eachEmptyDB(t, func(t *testing.T, c *cli) {
		c.ok("migrate")
		line := c.fails(2, "migrate", "down")
		require.Contains(t, line, "give --to N")
		require.Regexp(t, `\bwaffle_flag\b`, line)
		require.Contains(t, line, "waffle_group_member")
		st, err := c.store().MigrationStatus(ctx)
		require.NoError(t, err)
		require.True(t, st[0].Applied, "nothing reverted")
		require.Contains(t, c.fails(2, "migrate", "up", "--to", "0"), "--to must be a version")
		require.Contains(t, c.fails(1, "migrate", "down", "--to", "99"), "schema version 99")
	})
}

func TestMigrateUpDownUp(t *testing.T) {
	eachEmptyDB(t, func(t *testing.T, c *cli) {
		ms := c.migrations()
		require.Equal(t, "Applied version 1: initial\n", c.ok("migrate", "up", "--to", "1"))
		c.ok("migrate")
		c.ok("switch", "x", "on", "--create")

		out := lines(c.ok("migrate", "down", "--to", "0"))
		require.Len(t, out, len(ms))
		require.Regexp(t, `^Reverted version 1: initial \(dropped .*waffle_flag_member, .*\bwaffle_flag\b.*\)$`, out[len(out)-1])
		require.Equal(t, "Reverted version 2: ramp (dropped column waffle_flag.ramp)", out[len(out)-2])
		require.Equal(t, "Nothing to revert: the schema is at version 0.\n", c.ok("migrate", "down", "--to", "0"))
		for _, line := range lines(c.ok("migrate", "status"))[1:] {
			require.Regexp(t, `\sno$`, line)
		}
		require.Contains(t, c.fails(1, "switch", "x"), "run `waffle migrate` first")

		require.Len(t, lines(c.ok("migrate")), len(ms))
		require.Contains(t, c.fails(1, "switch", "x"), "does not exist", "the data went with the schema")
	})
}

func TestMigrateExport(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	for _, d := range []string{"postgres", "sqlite"} {
		for _, f := range []waffle.MigrationFormat{waffle.MigrationFormatGoose, waffle.MigrationFormatGolangMigrate} {
			dir := filepath.Join(t.TempDir(), "new", "dir")
			want, err := waffle.MigrationFiles(d, f)
			require.NoError(t, err)
			out := c.ok("migrate", "export", "--dialect", d, "--format", string(f), "--dir", dir)
			require.Len(t, lines(out), len(want))
			for _, file := range want {
				require.Contains(t, out, "Wrote "+filepath.Join(dir, file.Name)+"\n")
				got, err := os.ReadFile(filepath.Join(dir, file.Name))
				require.NoError(t, err)
				require.Equal(t, file.Content, string(got))
			}
			c.ok("migrate", "export", "--dialect", d, "--format", string(f), "--dir", dir)

			// A file that says something else is never overwritten, and
			// nothing is written.
			last := filepath.Join(dir, want[len(want)-1].Name)
			require.NoError(t, os.WriteFile(last, []byte("-- mine\n"), 0o644))
			first := filepath.Join(dir, want[0].Name)
			if len(want) > 1 {
				require.NoError(t, os.Remove(first))
			}
			require.Contains(t, c.fails(1, "migrate", "export", "--dialect", d, "--format", string(f), "--dir", dir), "exists and differs")
			got, err := os.ReadFile(last)
			require.NoError(t, err)
			require.Equal(t, "-- mine\n", string(got))
			if len(want) > 1 {
				require.NoFileExists(t, first)
			}
		}
	}
	require.Contains(t, c.fails(2, "migrate", "export", "--dialect", "sqlite", "--dir", t.TempDir()), "give --format")
	require.Contains(t, c.fails(2, "migrate", "export", "--dialect", "sqlite", "--format", "flyway", "--dir", t.TempDir()), "give --format")
	require.Contains(t, c.fails(2, "migrate", "export", "--dialect", "sqlite", "--format", "goose"), "give --dir")
}

// Eight processes of the real binary migrate one database at once: each
// version is reported applied by exactly one of them, the others say the
// schema is up to date (issue 17, defect 4).
func TestMigrateConcurrentProcesses(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ms, err := waffle.Migrations(db.Kind)
		require.NoError(t, err)
		const processes = 8
		outs := make([]string, processes)
		codes := make([]int, processes)
		var wg sync.WaitGroup
		for i := range processes {
			wg.Go(func() {
				var errOut string
				outs[i], errOut, codes[i] = runBinary(t, db, "", "migrate")
				if codes[i] != 0 {
					outs[i] = errOut
				}
			})
		}
		wg.Wait()
		applied := map[string]int{}
		for i, out := range outs {
			require.Equal(t, 0, codes[i], out)
			for _, line := range lines(out) {
				if strings.HasPrefix(line, "Applied version ") {
					applied[line]++
				} else {
					require.Equal(t, fmt.Sprintf("The schema is up to date (version %d).", len(ms)), line)
				}
			}
		}
		require.Len(t, applied, len(ms), "%q", outs)
		for _, m := range ms {
			require.Equal(t, 1, applied[fmt.Sprintf("Applied version %d: %s", m.Version, m.Name)], "%q", outs)
		}
	})
}
