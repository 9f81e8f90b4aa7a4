// Package testdb gives tests isolated databases: a SQLite file in the test's
// temporary directory, or a schema of its own on the PostgreSQL server named
// by WAFFLE_TEST_POSTGRES_DSN (`make test` starts one). Without that variable
// PostgreSQL tests are skipped with a message saying how to run them, except
// under CI=true, where they fail.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/postgres" // also registers pgx's "pgx" database/sql driver
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/dbopen"
)

// EnvPostgresDSN names the PostgreSQL server tests use.
const EnvPostgresDSN = "WAFFLE_TEST_POSTGRES_DSN"

// Kinds of database.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Kinds lists every kind, in the order tests run them.
var Kinds = []string{SQLite, Postgres}

// DB is one isolated database of a test.
type DB struct {
	Kind string
	DSN  string // what Open connects to
}

// Name returns the subtest name for the kind: "SQLite" or "Postgres".
func (d *DB) Name() string { return KindName(d.Kind) }

// KindName returns the subtest name for kind.
func KindName(kind string) string {
	if kind == Postgres {
		return "Postgres"
	}
	return "SQLite"
}

// Each runs fn once per kind of database, as parallel subtests named "SQLite"
// and "Postgres", each with a new, empty, isolated database.
func Each(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(KindName(kind), func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, kind))
		})
	}
}

// New returns a new, empty database of kind, removed when the test ends.
func New(tb testing.TB, kind string) *DB {
	tb.Helper()
	switch kind {
	case SQLite:
		return &DB{Kind: SQLite, DSN: filepath.Join(tb.TempDir(), "waffle.db")}
	case Postgres:
		return newPostgres(tb)
	}
	tb.Fatalf("testdb: unknown kind %q", kind)
	return nil
}

// Open opens a new handle, with its own connection pool, on the database: as
// another process would. It is closed when the test ends.
func (d *DB) Open(tb testing.TB) *gorm.DB {
	tb.Helper()
	var dialector gorm.Dialector
	if d.Kind == Postgres {
		dialector = postgres.New(postgres.Config{DSN: d.DSN})
	} else {
		dialector = sqlite.Open(dbopen.SQLiteDSN(d.DSN))
	}
	db, err := gorm.Open(dialector, dbopen.Config())
	if err != nil {
		tb.Fatalf("testdb: opening %s: %v", d.Kind, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	sqlDB.SetMaxOpenConns(20)
	tb.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// OpenWrapped is Open with the database/sql driver wrapped: wrap gets the
// driver gorm would use (pgx's or go-sqlite3's) and returns the one to use,
// which sees every connection, statement and query.
func (d *DB) OpenWrapped(tb testing.TB, wrap func(driver.Driver) driver.Driver) *gorm.DB {
	tb.Helper()
	wrapMu.Lock()
	wrapSeq++
	name := fmt.Sprintf("waffle-testdb-%s-%d", d.Kind, wrapSeq)
	wrapMu.Unlock()
	sql.Register(name, wrap(baseDriver(tb, d.Kind)))
	var dialector gorm.Dialector
	if d.Kind == Postgres {
		dialector = postgres.New(postgres.Config{DriverName: name, DSN: d.DSN})
	} else {
		dialector = &sqlite.Dialector{DriverName: name, DSN: dbopen.SQLiteDSN(d.DSN)}
	}
	db, err := gorm.Open(dialector, dbopen.Config())
	if err != nil {
		tb.Fatalf("testdb: opening %s: %v", d.Kind, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

var (
	wrapMu  sync.Mutex
	wrapSeq int
)

// baseDriver returns the database/sql driver the GORM dialector of kind
// registers: "pgx" or "sqlite3". Reaching it through database/sql keeps
// pgx and go-sqlite3 indirect dependencies of the library's module.
func baseDriver(tb testing.TB, kind string) driver.Driver {
	tb.Helper()
	name := "sqlite3"
	if kind == Postgres {
		name = "pgx"
	}
	db, err := sql.Open(name, "")
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	defer func() { _ = db.Close() }()
	return db.Driver()
}

// PostgresDSN returns the server DSN from the environment. When it is unset
// the test is skipped with a message, or fails under CI=true.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		msg := "PostgreSQL tests need " + EnvPostgresDSN + ": run `make test`, which starts a throwaway server, or set it to a server's URL"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: a missing PostgreSQL is a failure)")
		}
		tb.Skip(msg)
	}
	return dsn
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

// adminDB connects the package's admin pool to the server, once.
func adminDB(tb testing.TB) {
	tb.Helper()
	dsn := PostgresDSN(tb)
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", dsn)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		tb.Fatalf("testdb: connecting to %s: %v", EnvPostgresDSN, adminErr)
	}
}

func newPostgres(tb testing.TB) *DB {
	tb.Helper()
	adminDB(tb)
	schema := "waffle_test_" + randomHex(6)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("testdb: creating schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("testdb: dropping schema %s: %v", schema, err)
		}
	})
	return &DB{Kind: Postgres, DSN: WithParam(PostgresDSN(tb), "search_path", schema)}
}

// WithParam returns the PostgreSQL dsn, in URL or key=value form, with the
// run-time parameter key set to value (search_path, synchronous_commit...).
func WithParam(dsn, key, value string) string {
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + key + "=" + value
	}
	return fmt.Sprintf("%s %s=%s", dsn, key, value)
}

// EnvPgBouncerDSN names PgBouncer in transaction pooling mode in front of the
// server of EnvPostgresDSN (scripts/with-pgbouncer starts it; `make test`
// runs it).
const EnvPgBouncerDSN = "WAFFLE_TEST_PGBOUNCER_DSN"

// NewPgBouncer returns a new, empty PostgreSQL database reached through
// PgBouncer, dropped when the test ends. PgBouncer 1.18 forwards no
// search_path, so each test gets a database of its own rather than a schema.
// Without EnvPgBouncerDSN the test is skipped, or fails under CI=true.
func NewPgBouncer(tb testing.TB) *DB {
	tb.Helper()
	bouncer := os.Getenv(EnvPgBouncerDSN)
	if bouncer == "" {
		msg := "PgBouncer tests need " + EnvPgBouncerDSN + ": run `make test`, or scripts/with-pgbouncer go test ..."
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: a missing PgBouncer is a failure)")
		}
		tb.Skip(msg)
	}
	PostgresDSN(tb)
	name := "waffle_bt_" + randomHex(6)
	adminDB(tb)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testdb: creating database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("testdb: dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(bouncer)
	if err != nil {
		tb.Fatalf("testdb: %s is not a URL: %v", EnvPgBouncerDSN, err)
	}
	u.Path = "/" + name
	return &DB{Kind: Postgres, DSN: u.String()}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
