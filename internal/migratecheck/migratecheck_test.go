package migratecheck

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/schemadump"
	"github.com/gowaffle/waffle/internal/testdb"
)

// tool runs a directory of exported files up and down on a database.
type tool struct {
	format   waffle.MigrationFormat
	up, down func(t *testing.T, db *sql.DB, kind, dir string)
}

var tools = []tool{
	{
		format: waffle.MigrationFormatGoose,
		up: func(t *testing.T, db *sql.DB, kind, dir string) {
			_, err := gooseProvider(t, db, kind, dir).Up(context.Background())
			require.NoError(t, err)
		},
		down: func(t *testing.T, db *sql.DB, kind, dir string) {
			_, err := gooseProvider(t, db, kind, dir).DownTo(context.Background(), 0)
			require.NoError(t, err)
		},
	},
	{
		format: waffle.MigrationFormatGolangMigrate,
		up: func(t *testing.T, db *sql.DB, kind, dir string) {
			require.NoError(t, golangMigrate(t, db, kind, dir).Up())
		},
		down: func(t *testing.T, db *sql.DB, kind, dir string) {
			require.NoError(t, golangMigrate(t, db, kind, dir).Down())
		},
	},
}

func gooseProvider(t *testing.T, db *sql.DB, kind, dir string) *goose.Provider {
	t.Helper()
	dialect := goose.DialectSQLite3
	if kind == testdb.Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db, os.DirFS(dir))
	require.NoError(t, err)
	return p
}

func golangMigrate(t *testing.T, db *sql.DB, kind, dir string) *migrate.Migrate {
	t.Helper()
	src, err := iofs.New(os.DirFS(dir), ".")
	require.NoError(t, err)
	var driver database.Driver
	if kind == testdb.Postgres {
		driver, err = migratepgx.WithInstance(db, &migratepgx.Config{})
	} else {
		driver, err = migratesqlite.WithInstance(db, &migratesqlite.Config{})
	}
	require.NoError(t, err)
	m, err := migrate.NewWithInstance("iofs", src, kind, driver)
	require.NoError(t, err)
	return m
}

// Each tool takes the exported files up: the schema is the one
// Store.Migrate makes, and the library finds it up to date; then down: no
// waffle_ object is left.
func TestToolsAcceptExport(t *testing.T) {
	t.Parallel()
	for _, tl := range tools {
		t.Run(string(tl.format), func(t *testing.T) {
			t.Parallel()
			testdb.Each(t, func(t *testing.T, db *testdb.DB) {
				ctx := context.Background()
				dir := t.TempDir()
				files, err := waffle.MigrationFiles(db.Kind, tl.format)
				require.NoError(t, err)
				for _, f := range files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), []byte(f.Content), 0o644))
				}

				freshDB := testdb.New(t, db.Kind).Open(t)
				fresh, err := waffle.New(freshDB, nil)
				require.NoError(t, err)
				require.NoError(t, fresh.Migrate(ctx))
				freshSQL, err := freshDB.DB()
				require.NoError(t, err)
				want := dump(t, freshSQL, db.Kind)

				gdb := db.Open(t)
				sqlDB, err := gdb.DB()
				require.NoError(t, err)
				s, err := waffle.New(gdb, nil)
				require.NoError(t, err)

				tl.up(t, sqlDB, db.Kind, dir)
				require.Equal(t, want, dump(t, sqlDB, db.Kind))
				res, err := s.MigrateUp(ctx, 0)
				require.NoError(t, err)
				require.Empty(t, res.Versions, "the tool recorded every version for the library")
				require.NoError(t, s.Set(ctx, "theme", "dark"))

				tl.down(t, sqlDB, db.Kind, dir)
				require.Empty(t, dump(t, sqlDB, db.Kind))
				status, err := s.MigrationStatus(ctx)
				require.NoError(t, err)
				for _, m := range status {
					require.False(t, m.Applied)
				}

				tl.up(t, sqlDB, db.Kind, dir)
				require.Equal(t, want, dump(t, sqlDB, db.Kind), "up again after down")
				require.NoError(t, s.Set(ctx, "theme", "light"))
			})
		})
	}
}

func dump(t *testing.T, db *sql.DB, kind string) []string {
	t.Helper()
	out, err := schemadump.Dump(context.Background(), db, kind)
	require.NoError(t, err)
	return out
}
