package waffle

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/query"
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
	// Every file in migrations/ is a migration: no stray files.
	for _, d := range []string{"postgres", "sqlite"} {
		entries, err := fs.ReadDir(migrations.FS, d)
		require.NoError(t, err)
		require.Len(t, entries, len(pg), d)
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

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		const processes = 6
		var wg sync.WaitGroup
		errs := make([]error, processes)
		for i := range processes {
			s, err := New(db.Open(t), nil)
			require.NoError(t, err)
			wg.Go(func() { errs[i] = s.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "process %d", i)
		}
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range status {
			require.True(t, m.Applied)
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
			// version 5 (the ramp column) refuses to run twice.
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

// TestMigrateFromVersion2 upgrades a database that holds version 2's schema
// and data (a flag listing a group filled by hand, a synced WAFFLE_ group,
// windows) to the newest version: evaluation, the groups of a user and the
// sync go on as before.
func TestMigrateFromVersion2(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		gdb := migrateTo(t, db, 2)
		now := time.Now().UTC().Truncate(time.Second)
		for _, stmt := range append(upgradeData,
			"INSERT INTO waffle_flag_member (flag_id, user_id, start_at, created) SELECT id, 'bob', ?, ? FROM waffle_flag",
		) {
			execAt(t, gdb, stmt, now.Add(-time.Hour))
		}

		s, err := New(gdb, &Config{Now: func() time.Time { return now }})
		require.NoError(t, err)
		require.NoError(t, s.Migrate(ctx))
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range status {
			require.True(t, m.Applied, "version %d", m.Version)
		}
		isOn := func(user string) bool {
			t.Helper()
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: user}), "beta")
			require.NoError(t, err)
			return on
		}
		require.True(t, isOn("tess"), "a member of a group filled by hand")
		require.True(t, isOn("ann"), "a member of the WAFFLE_ group from before")
		require.False(t, isOn("bob"), "not synced yet")
		groups, err := s.UserGroups(ctx, "ann")
		require.NoError(t, err)
		require.Equal(t, []string{"WAFFLE_beta"}, groups)

		res, err := s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []FlagSync{{Flag: "beta", Active: 2, Added: 1, Full: true}}, res.Flags)
		require.True(t, isOn("bob"))
		require.Equal(t, FlagSync{Flag: "beta", Active: 2}, syncOne(t, s, "beta"))
	})
}

// upgradeData is what the upgrade tests write under an older version, each
// statement run with execAt: flag beta, listing group testers (member tess)
// and its WAFFLE_ group (member ann, who has an open window).
var upgradeData = []string{
	"INSERT INTO waffle_flag (name, created, modified) VALUES ('beta', ?, ?)",
	"INSERT INTO waffle_group (name, created) VALUES ('testers', ?), ('WAFFLE_beta', ?)",
	"INSERT INTO waffle_flag_group (flag_id, group_id) SELECT f.id, g.id FROM waffle_flag f, waffle_group g",
	"INSERT INTO waffle_group_member (group_id, user_id) SELECT id, 'tess' FROM waffle_group WHERE name = 'testers'",
	"INSERT INTO waffle_group_member (group_id, user_id) SELECT id, 'ann' FROM waffle_group WHERE name = 'WAFFLE_beta'",
	"INSERT INTO waffle_flag_member (flag_id, user_id, start_at, created) SELECT id, 'ann', ?, ? FROM waffle_flag",
}

// migrateTo creates db's schema up to version n, as the library of that
// version left it, and returns a handle on it.
func migrateTo(t *testing.T, db *testdb.DB, n int) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	gdb := db.Open(t)
	sqlDB, err := gdb.DB()
	require.NoError(t, err)
	q := query.For(gdb.Dialector.Name())
	_, err = sqlDB.ExecContext(ctx, q.SQL("schema_version_create"))
	require.NoError(t, err)
	ms, err := Migrations(gdb.Dialector.Name())
	require.NoError(t, err)
	require.Greater(t, len(ms), n)
	for _, m := range ms[:n] {
		_, err := sqlDB.ExecContext(ctx, m.SQL)
		require.NoError(t, err, m.Name)
		_, err = sqlDB.ExecContext(ctx, q.SQL("schema_version_insert"), m.Version, m.Name, time.Now().UTC())
		require.NoError(t, err)
	}
	return gdb
}

// execAt runs stmt, written with ? placeholders, with at for every one.
func execAt(t *testing.T, gdb *gorm.DB, stmt string, at time.Time) {
	t.Helper()
	sqlDB, err := gdb.DB()
	require.NoError(t, err)
	args := make([]any, strings.Count(stmt, "?"))
	for i := range args {
		args[i] = at
	}
	if gdb.Dialector.Name() == "postgres" {
		for i := 1; strings.Contains(stmt, "?"); i++ {
			stmt = strings.Replace(stmt, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	_, err = sqlDB.ExecContext(context.Background(), stmt, args...)
	require.NoError(t, err, stmt)
}

// TestMigrateFromVersion3 upgrades a database whose flag was synced under
// version 3 (the sync's members in waffle_group_member, its state clean) to
// the newest version. On SQLite, version 4 moves those members to
// waffle_sync_member: the flag stays on for them, the group lists them, and
// the next sync compares in full once and changes nothing.
func TestMigrateFromVersion3(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		gdb := migrateTo(t, db, 3)
		now := time.Now().UTC().Truncate(time.Second)
		for _, stmt := range upgradeData {
			execAt(t, gdb, stmt, now.Add(-time.Hour))
		}
		// What version 3's sync left: on PostgreSQL its members marked, and
		// the flag's state, clean.
		if db.Kind == testdb.Postgres {
			execAt(t, gdb, "UPDATE waffle_group_member SET synced = TRUE WHERE user_id = 'ann'", now)
		}
		execAt(t, gdb, `INSERT INTO waffle_flag_sync (flag_id, group_id, synced_at, members, dirty)
			SELECT f.id, g.id, ?, 1, FALSE FROM waffle_flag f, waffle_group g WHERE g.name = 'WAFFLE_beta'
			ON CONFLICT (flag_id) DO UPDATE SET group_id = excluded.group_id, synced_at = excluded.synced_at,
				members = 1, dirty = FALSE`, now)

		s, err := New(gdb, &Config{Now: func() time.Time { return now }})
		require.NoError(t, err)
		require.NoError(t, s.Migrate(ctx))
		for _, user := range []string{"tess", "ann"} {
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: user}), "beta")
			require.NoError(t, err)
			require.True(t, on, user)
		}
		members, err := s.GroupMembers(ctx, "WAFFLE_beta")
		require.NoError(t, err)
		require.Equal(t, []string{"ann"}, members)
		groups, err := s.UserGroups(ctx, "ann")
		require.NoError(t, err)
		require.Equal(t, []string{"WAFFLE_beta"}, groups)
		if db.Kind == testdb.SQLite {
			require.Equal(t, int64(1), tableRows(t, s, "waffle_sync_member"), "ann moved")
			require.Equal(t, int64(1), tableRows(t, s, "waffle_group_member"), "tess stays")
		}

		// On SQLite the move marked the state dirty: one full comparison.
		fs := syncOne(t, s, "beta")
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Full: db.Kind == testdb.SQLite}, fs)
		require.Equal(t, FlagSync{Flag: "beta", Active: 1}, syncOne(t, s, "beta"))
		require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"))
	})
}
