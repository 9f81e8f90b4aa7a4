package waffle

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

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
		for range 2 {
			_, err = sqlDB.ExecContext(ctx, script)
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
