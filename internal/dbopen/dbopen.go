// Package dbopen opens the databases the command, the examples and the tests
// use: a SQLite file, set up the way the library needs it (WAL, a busy
// timeout, foreign keys, immediate transactions), or a PostgreSQL server.
// Library users open their own *gorm.DB; the README shows the same settings.
package dbopen

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrBadTarget is returned for a database target that is neither a SQLite path
// nor a PostgreSQL URL or keyword DSN.
var ErrBadTarget = errors.New("invalid database")

// IsPostgres reports whether target names a PostgreSQL server: a postgres:// or
// postgresql:// URL, or a keyword DSN such as "host=/tmp dbname=app".
func IsPostgres(target string) bool {
	lower := strings.ToLower(target)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") ||
		strings.HasPrefix(lower, "host=") || strings.Contains(lower, " dbname=") || strings.HasPrefix(lower, "dbname=")
}

// SQLiteDSN returns the go-sqlite3 DSN for the database file at path with the
// settings the library relies on: WAL, a 10 s busy timeout, foreign keys (so
// deletes cascade) and BEGIN IMMEDIATE for transactions.
func SQLiteDSN(path string) string {
	return "file:" + escapeSQLitePath(path) +
		"?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"
}

// escapeSQLitePath escapes the characters that would end the path part of a
// SQLite URI filename.
func escapeSQLitePath(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return r.Replace(path)
}

// Config returns the gorm configuration used for every handle this package
// opens: no gorm logging (the library logs through slog), no default
// transaction around single writes.
func Config() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
}

// Open opens target, a SQLite file path (created when missing) or a PostgreSQL
// URL or keyword DSN. It checks that the database answers.
func Open(target string) (*gorm.DB, error) {
	if strings.TrimSpace(target) == "" {
		return nil, fmt.Errorf("%w: empty (give a SQLite file path or a postgres:// URL)", ErrBadTarget)
	}
	var dialector gorm.Dialector
	if IsPostgres(target) {
		if strings.Contains(target, "://") {
			if _, err := url.Parse(target); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadTarget, err)
			}
		}
		dialector = postgres.Open(target)
	} else {
		if strings.ContainsRune(target, 0) {
			return nil, fmt.Errorf("%w: the path contains a NUL byte", ErrBadTarget)
		}
		dialector = sqlite.Open(SQLiteDSN(target))
	}
	db, err := gorm.Open(dialector, Config())
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if err := sqlDB.Ping(); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the connection pool under db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
