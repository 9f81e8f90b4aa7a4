package waffle

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/internal/schemadump"
	"github.com/gowaffle/waffle/internal/testdb"
	"github.com/gowaffle/waffle/migrations"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	t.Parallel()
	pg, err := Migrations("postgres")
	require.NoError(t, err)
	lite, err := Migrations("sqlite")
	require.NoError(t, err)
	require.NotEmpty(t, pg)
	require.Len(t, lite, len(pg), "postgres and sqlite must have the same migrations")
	for i := range pg {
		require.Equal(t, pg[i].Version, lite[i].Version)
		require.Equal(t, pg[i].Name, lite[i].Name, "version %d", pg[i].Version)
	}
	// Every file in migrations/ is a migration's up or down: no stray files.
	for _, d := range []string{"postgres", "sqlite"} {
		entries, err := fs.ReadDir(migrations.FS, d)
		require.NoError(t, err)
		require.Len(t, entries, 2*len(pg), d)
	}
}

func TestQueriesMatchAcrossDialects(t *testing.T) {
	t.Parallel()
	require.Equal(t, query.For(query.Postgres).Names(), query.For(query.SQLite).Names(),
		"internal/query/postgres and internal/query/sqlite must define the same statements")
}

func TestMigrationsUnknownDialect(t *testing.T) {
	t.Parallel()
	_, err := Migrations("mysql")
	require.ErrorIs(t, err, ErrUnsupportedDatabase)
	_, err = MigrationScript("mysql")
	require.ErrorIs(t, err, ErrUnsupportedDatabase)
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)

		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, status)
		for _, m := range status {
			require.False(t, m.Applied, "version %d before Migrate", m.Version)
		}

		require.NoError(t, s.Migrate(ctx))
		require.NoError(t, s.Migrate(ctx), "Migrate is idempotent")

		status, err = s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range status {
			require.True(t, m.Applied, "version %d after Migrate", m.Version)
			require.False(t, m.AppliedAt.IsZero())
		}
	})
}

// Several processes migrating at once: each version is applied by exactly
// one of them, and only that one reports it (issue 17, defect 4). Then the
// same for reverting everything.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		const processes = 8
		stores := make([]*Store, processes)
		for i := range stores {
			s, err := New(db.Open(t), nil)
			require.NoError(t, err)
			stores[i] = s
		}
		ms, err := Migrations(db.Kind)
		require.NoError(t, err)
		for _, direction := range []string{"up", "down"} {
			var wg sync.WaitGroup
			results := make([]*MigrateResult, processes)
			errs := make([]error, processes)
			for i, s := range stores {
				wg.Go(func() {
					if direction == "up" {
						results[i], errs[i] = s.MigrateUp(ctx, 0)
					} else {
						results[i], errs[i] = s.MigrateDown(ctx, 0)
					}
				})
			}
			wg.Wait()
			reported := map[int]int{}
			for i, res := range results {
				require.NoError(t, errs[i], "process %d", i)
				require.Equal(t, direction, res.Direction)
				for _, v := range res.Versions {
					reported[v.Version]++
				}
			}
			for _, m := range ms {
				require.Equal(t, 1, reported[m.Version], "%s: version %d reported by one process", direction, m.Version)
			}
			require.Len(t, reported, len(ms), direction)
			status, err := stores[0].MigrationStatus(ctx)
			require.NoError(t, err)
			for _, m := range status {
				require.Equal(t, direction == "up", m.Applied, "%s: version %d", direction, m.Version)
			}
		}
	})
}

func TestMigrationScript(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		gdb := db.Open(t)
		s, err := New(gdb, nil)
		require.NoError(t, err)
		script, err := MigrationScript(s.Dialect())
		require.NoError(t, err)
		require.Contains(t, script, "CREATE TABLE IF NOT EXISTS waffle_flag")

		// A team that runs the script with its own tool, twice...
		sqlDB, err := gdb.DB()
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, script)
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, script)
		if s.Dialect() == "sqlite" {
			// ...except on SQLite, which cannot add a column idempotently:
			// version 2 (the ramp column) refuses to run twice.
			require.ErrorContains(t, err, "duplicate column name: ramp")
		} else {
			require.NoError(t, err)
		}
		// ...has a schema Migrate finds up to date.
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range status {
			require.True(t, m.Applied, "version %d", m.Version)
		}
		require.NoError(t, s.Migrate(ctx))
	})
}

func TestMigrateCancelled(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		migrateErr := s.Migrate(cancelled())
		require.ErrorIs(t, migrateErr, context.Canceled)
		require.True(t, strings.Contains(migrateErr.Error(), "migrating"), migrateErr.Error())
		status, err := s.MigrationStatus(context.Background())
		require.NoError(t, err)
		require.False(t, status[0].Applied)
	})
}

// The schema's own rules, seen with plain SQL as another tool would send it:
// deleting a flag or a group cascades to the rows that hang on it, and names
// and memberships are unique.
func TestSchemaCascadesAndUniqueNames(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Users: []string{"u1", "u2"}, Groups: []string{"g1", "g2"}}))
		require.NoError(t, s.AddGroupMembers(ctx, "g1", "m1", "m2"))
		require.NoError(t, s.Set(ctx, "theme", "dark"))
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		exec := func(q string, args ...any) error {
			_, err := sqlDB.ExecContext(ctx, rebind(s, q), args...)
			return err
		}
		count := func(table string) int64 { return countRows(t, s, table) }
		now := s.now()
		require.NoError(t, exec("INSERT INTO waffle_flag_member (flag_id, user_id, start_at, created) VALUES (?, 'u1', ?, ?)", f.ID, now, now))

		// Unique names and memberships.
		for _, q := range []string{
			"INSERT INTO waffle_group (name) VALUES ('g1')",
			"INSERT INTO waffle_string_flag (name, value) VALUES ('theme', 'light')",
			"INSERT INTO waffle_group_member (group_id, user_id) SELECT id, 'm1' FROM waffle_group WHERE name = 'g1'",
			"INSERT INTO waffle_flag_user (flag_id, user_id) SELECT id, 'u1' FROM waffle_flag WHERE name = 'beta'",
			"INSERT INTO waffle_flag_group (flag_id, group_id) SELECT f.id, g.id FROM waffle_flag f, waffle_group g WHERE f.name = 'beta' AND g.name = 'g1'",
		} {
			require.Error(t, exec(q), q)
		}
		// Foreign keys: no row may point at a flag that does not exist.
		require.Error(t, exec("INSERT INTO waffle_flag_user (flag_id, user_id) VALUES (?, 'x')", f.ID+1000))

		// Deleting a group cascades to its members and its place on flags.
		require.NoError(t, exec("DELETE FROM waffle_group WHERE name = 'g1'"))
		require.Zero(t, count("waffle_group_member"))
		require.Equal(t, int64(1), count("waffle_flag_group"), "g2 stays on the flag")

		// Deleting a flag cascades to its users, groups and windows.
		require.NoError(t, exec("DELETE FROM waffle_flag WHERE name = 'beta'"))
		for _, table := range []string{"waffle_flag_user", "waffle_flag_group", "waffle_flag_member"} {
			require.Zero(t, count(table), table)
		}
		require.Equal(t, int64(1), count("waffle_group"), "the group g2 itself stays")
	})
}

// The squash of the four versions that came before it: version 1 makes
// exactly the schema they made, as their catalog dump, taken on both
// databases before the squash, records it (testdata/schema_before_squash_*.json:
// tables, columns, constraints, indexes, triggers, trigger functions, views).
func TestMigrateSquashMatchesVersions1To4(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		_, err = s.MigrateUp(ctx, 1) // version 1 only: the squash of the four
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join("testdata", "schema_before_squash_"+db.Kind+".json"))
		require.NoError(t, err)
		var want []string
		require.NoError(t, json.Unmarshal(b, &want))
		require.NotEmpty(t, want)
		require.Equal(t, want, dumpSchema(t, s))
	})
}

func dumpSchema(t *testing.T, s *Store) []string {
	t.Helper()
	sqlDB, err := s.db.DB()
	require.NoError(t, err)
	dump, err := schemadump.Dump(context.Background(), sqlDB, s.Dialect())
	require.NoError(t, err)
	return dump
}

// Up, down to 0, up again: down removes every object up made (the version
// table too) with the data in them, and up makes the same schema again.
func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		ms, err := Migrations(db.Kind)
		require.NoError(t, err)
		require.Empty(t, dumpSchema(t, s))

		res, err := s.MigrateUp(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, "up", res.Direction)
		require.Len(t, res.Versions, len(ms))
		require.Equal(t, len(ms), res.Current)
		want := dumpSchema(t, s)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Users: []string{"u1"}}))
		require.NoError(t, s.AddGroupMembers(ctx, "g1", "m1"))

		res, err = s.MigrateDown(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, "down", res.Direction)
		require.Len(t, res.Versions, len(ms))
		require.Equal(t, len(ms), res.Versions[0].Version, "newest first")
		require.Zero(t, res.Current)
		require.Empty(t, dumpSchema(t, s), "down to 0 leaves no waffle_ object")
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range status {
			require.False(t, m.Applied)
		}
		res, err = s.MigrateDown(ctx, 0)
		require.NoError(t, err)
		require.Empty(t, res.Versions, "nothing left to revert")

		require.NoError(t, s.Migrate(ctx))
		require.Equal(t, want, dumpSchema(t, s))
		_, err = s.GetFlag(ctx, "beta")
		require.ErrorIs(t, err, ErrNotFound, "the data went with the schema")
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
	})
}

func TestMigrateTargets(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		ms, err := Migrations(db.Kind)
		require.NoError(t, err)

		for _, bad := range []struct {
			down bool
			to   int
		}{{false, len(ms) + 1}, {false, -1}, {true, len(ms) + 1}, {true, -1}} {
			var err error
			if bad.down {
				_, err = s.MigrateDown(ctx, bad.to)
			} else {
				_, err = s.MigrateUp(ctx, bad.to)
			}
			require.ErrorIs(t, err, ErrMigrationVersion, "%+v", bad)
			var ve *MigrationVersionError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, bad.to, ve.Version)
		}
		require.Empty(t, dumpSchema(t, s), "a bad target changes nothing")

		res, err := s.MigrateUp(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, []int{1}, versionsOf(res))
		res, err = s.MigrateUp(ctx, 1)
		require.NoError(t, err)
		require.Empty(t, res.Versions, "already there")
		res, err = s.MigrateDown(ctx, 1)
		require.NoError(t, err)
		require.Empty(t, res.Versions, "already there")
		require.Equal(t, 1, res.Current)
	})
}

func versionsOf(res *MigrateResult) []int {
	var out []int
	for _, v := range res.Versions {
		out = append(out, v.Version)
	}
	return out
}

// A database whose version table disagrees with the library (a schema from
// before the squash, or one migrated by a newer library) gets a typed error
// and is left as it is.
func TestMigrateVersionMismatch(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		ms, err := Migrations(db.Kind)
		require.NoError(t, err)
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, s.q.SQL("schema_version_create"))
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, "INSERT INTO waffle_schema_version (version, name) VALUES (1, 'something_else')")
		require.NoError(t, err)
		_, err = s.MigrateUp(ctx, 0)
		var ve *MigrationVersionError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, 1, ve.Version)
		require.Contains(t, err.Error(), "something_else")

		_, err = sqlDB.ExecContext(ctx, "DELETE FROM waffle_schema_version")
		require.NoError(t, err)
		require.NoError(t, s.Migrate(ctx))
		want := dumpSchema(t, s)
		future := len(ms) + 5
		_, err = sqlDB.ExecContext(ctx, fmt.Sprintf("INSERT INTO waffle_schema_version (version, name) VALUES (%d, 'future')", future))
		require.NoError(t, err)
		require.NoError(t, s.Migrate(ctx), "up has nothing to do")
		_, err = s.MigrateDown(ctx, 0)
		require.ErrorAs(t, err, &ve)
		require.Equal(t, future, ve.Version)
		require.Equal(t, want, dumpSchema(t, s), "the down changed nothing")
	})
}

// withExtraVersions is the library's migrations followed by n test versions,
// each creating (and its down dropping) a table waffle_test_N; the version
// named "broken" fails.
func withExtraVersions(t *testing.T, dialect string, names ...string) []Migration {
	t.Helper()
	ms, err := Migrations(dialect)
	require.NoError(t, err)
	for _, name := range names {
		v := len(ms) + 1
		up := fmt.Sprintf("CREATE TABLE IF NOT EXISTS waffle_test_%d (id INTEGER PRIMARY KEY);\nINSERT INTO waffle_test_%d (id) VALUES (1);", v, v)
		if name == "broken" {
			up = fmt.Sprintf("CREATE TABLE waffle_test_%d (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);", v)
		}
		ms = append(ms, Migration{Version: v, Name: name, Up: up, Down: fmt.Sprintf("DROP TABLE IF EXISTS waffle_test_%d;", v)})
	}
	return ms
}

// The runner over several versions (the library has one so far): targets,
// order, concurrency, and a failing version that leaves those before it.
func TestMigrateSeveralVersions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		ms := withExtraVersions(t, db.Kind, "two", "three", "four")
		n := len(ms)
		const processes = 8
		stores := make([]*Store, processes)
		for i := range stores {
			s, err := New(db.Open(t), nil)
			require.NoError(t, err)
			stores[i] = s
		}
		s := stores[0]

		res, err := s.migrateWith(ctx, ms, "up", n-2)
		require.NoError(t, err)
		require.Equal(t, versionRange(1, n-2), versionsOf(res))
		require.Equal(t, n-2, res.Current)

		// The rest, from eight stores at once: each version once.
		var wg sync.WaitGroup
		results := make([]*MigrateResult, processes)
		errs := make([]error, processes)
		for i, st := range stores {
			wg.Go(func() { results[i], errs[i] = st.migrateWith(ctx, ms, "up", 0) })
		}
		wg.Wait()
		var all []int
		for i, r := range results {
			require.NoError(t, errs[i])
			require.Equal(t, n, r.Current)
			all = append(all, versionsOf(r)...)
		}
		sort.Ints(all)
		require.Equal(t, versionRange(n-1, n), all)

		res, err = s.migrateWith(ctx, ms, "down", n-3)
		require.NoError(t, err)
		require.Equal(t, []int{n, n - 1, n - 2}, versionsOf(res), "newest first")
		require.Equal(t, n-3, res.Current)
		require.Equal(t, int64(0), countTables(t, s, "waffle_test_%"))

		// A failing version: those before it stay applied and are reported
		// with the error; it left nothing behind.
		broken := withExtraVersions(t, db.Kind, "two", "broken")
		base := len(broken) - 2 // the library's own versions
		res, err = s.migrateWith(ctx, broken, "up", 0)
		require.Error(t, err)
		require.Contains(t, err.Error(), fmt.Sprintf("applying version %d (broken)", base+2))
		require.Equal(t, versionRange(n-2, base+1), versionsOf(res))
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		require.True(t, status[len(status)-1].Applied)
		require.Equal(t, int64(1), countTables(t, s, "waffle_test_%"), "version two's table, not the broken one's")

		res, err = s.migrateWith(ctx, broken, "down", 0)
		require.NoError(t, err)
		require.Equal(t, versionRange(base+1, 1), versionsOf(res))
		require.Empty(t, dumpSchema(t, s))
	})
}

// versionRange is from, from±1, ..., to.
func versionRange(from, to int) []int {
	var out []int
	step := 1
	if to < from {
		step = -1
	}
	for v := from; ; v += step {
		out = append(out, v)
		if v == to {
			return out
		}
	}
}

// countTables counts s's tables whose names match the LIKE pattern.
func countTables(t *testing.T, s *Store, like string) int64 {
	t.Helper()
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE ?"
	if s.Dialect() == "postgres" {
		q = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE $1"
	}
	sqlDB, err := s.db.DB()
	require.NoError(t, err)
	var n int64
	require.NoError(t, sqlDB.QueryRowContext(context.Background(), q, like).Scan(&n))
	return n
}
