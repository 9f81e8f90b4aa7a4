package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbtx"
)

// The command opens its database itself, with drivers that need no cgo: a
// pure-Go SQLite (github.com/glebarez/sqlite, on modernc.org/sqlite) and pgx.
// internal/dbopen stays on go-sqlite3 for the tests and examples.

// target returns the database the command uses: its own --database, the
// global one, or $WAFFLE_DATABASE_URL.
func (cf *cmdFlags) target() string {
	if cf.database != "" {
		return cf.database
	}
	if cf.a.database != "" {
		return cf.a.database
	}
	return cf.a.getenv(envDatabase)
}

// errNoDatabase is returned when neither --database nor the environment
// names a database.
var errNoDatabase = errors.New("no database: give --database (a SQLite file path or a postgres:// URL) or set " + envDatabase)

// schemeRE matches the scheme of a URL: "mysql://".
var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// pgKeywordRE matches a key/value DSN's keyword that only a PostgreSQL DSN
// would have at its start or after a space.
var pgKeywordRE = regexp.MustCompile(`(?i)(^|\s)(host|hostaddr|port|dbname|user|password|sslmode|passfile|service|connect_timeout)\s*=`)

// isPostgres reports whether target names a PostgreSQL server: a postgres://
// or postgresql:// URL, or a key/value DSN such as "host=/tmp dbname=app".
func isPostgres(target string) bool {
	if m := schemeRE.FindStringSubmatch(target); m != nil {
		s := strings.ToLower(m[1])
		return s == "postgres" || s == "postgresql"
	}
	return pgKeywordRE.MatchString(target)
}

// checkTarget rejects a URL of a database waffle does not support: it would
// otherwise be taken for a SQLite file name.
func checkTarget(target string) error {
	if m := schemeRE.FindStringSubmatch(target); m != nil && !isPostgres(target) {
		return fmt.Errorf("unsupported database URL scheme %q: give a SQLite file path or a postgres:// URL", m[1])
	}
	if strings.ContainsRune(target, 0) {
		return errors.New("invalid database: the path contains a NUL byte")
	}
	return nil
}

// sqliteBusyTimeout is how long a SQLite writer waits for another.
const sqliteBusyTimeout = 10 * time.Second

// sqliteDSN returns the DSN of the SQLite file at path with the settings the
// library relies on, in modernc.org/sqlite's syntax: WAL, a 10 s busy timeout,
// foreign keys (deletes cascade) and BEGIN IMMEDIATE for transactions. Times
// are written as go-sqlite3 writes them, so both drivers share a file.
func sqliteDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?_pragma=busy_timeout(" + strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10) + ")&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// openDB opens target and checks that the database answers.
func openDB(target string) (*gorm.DB, error) {
	var dialector gorm.Dialector
	if isPostgres(target) {
		if schemeRE.MatchString(target) {
			if _, err := url.Parse(target); err != nil {
				return nil, errors.New("invalid PostgreSQL URL")
			}
		}
		dialector = postgres.Open(withConnectTimeout(target))
	} else {
		dialector = sqlite.Open(sqliteDSN(target))
	}
	// A new SQLite file that several processes open at once: the pragmas run
	// when a connection opens, and switching the file to WAL can fail with
	// "database is locked" before the busy timeout applies. Retry that, for
	// as long as the busy timeout would have waited.
	deadline := time.Now().Add(sqliteBusyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		db, err := openOnce(dialector)
		if err == nil || !dbtx.IsBusy(err) || time.Now().After(deadline) {
			return db, err
		}
		time.Sleep(delay)
	}
}

// openOnce opens dialector and checks that the database answers.
func openOnce(dialector gorm.Dialector) (*gorm.DB, error) {
	db, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
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

// closeDB closes the connection pool under db.
func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

// open opens the command's database and returns a Store on it, and the
// function that closes it. It does not check the schema (migrate needs that).
func (cf *cmdFlags) open(ctx context.Context) (*waffle.Store, func(), error) {
	target := cf.target()
	if strings.TrimSpace(target) == "" {
		return nil, nil, errNoDatabase
	}
	if err := checkTarget(target); err != nil {
		return nil, nil, cf.usageErr("--database: %v", err)
	}
	django, err := cf.djangoConfig()
	if err != nil {
		return nil, nil, err
	}
	type opened struct {
		store *waffle.Store
		close func()
		err   error
	}
	// Opening takes no context: run it aside so that an interrupt still ends
	// the command.
	ch := make(chan opened, 1)
	go func() {
		db, err := openDB(target)
		if err != nil {
			ch <- opened{err: err}
			return
		}
		log := slog.New(slog.NewTextHandler(cf.a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		s, err := waffle.New(db, &waffle.Config{Logger: log, Django: django})
		if err != nil {
			closeDB(db)
			ch <- opened{err: err}
			return
		}
		ch <- opened{store: s, close: func() { closeDB(db) }}
	}()
	select {
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.close != nil {
				o.close()
			}
		}()
		return nil, nil, ctx.Err()
	case o := <-ch:
		if o.err != nil {
			return nil, nil, fmt.Errorf("opening the database %s: %w", displayTarget(target), o.err)
		}
		return o.store, o.close, nil
	}
}

// store opens the database and checks that its schema is up to date, so that
// a database that was never migrated gets a clear message instead of "no such
// table".
func (cf *cmdFlags) store(ctx context.Context) (*waffle.Store, func(), error) {
	s, closeDB, err := cf.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	status, err := s.MigrationStatus(ctx)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	applied := 0
	for _, m := range status {
		if m.Applied {
			applied++
		}
	}
	if applied < len(status) {
		closeDB()
		return nil, nil, fmt.Errorf("the database %s has %d of the %d waffle migrations: run `%s` first", displayTarget(cf.target()), applied, len(status), cf.migrateHint())
	}
	return s, closeDB, nil
}

// withStore opens the command's store, runs fn and closes the store.
func withStore(ctx context.Context, cf *cmdFlags, fn func(s *waffle.Store) error) error {
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(s)
}

// withConnectTimeout adds a connect timeout to a PostgreSQL DSN that has
// none, so that an unreachable server is an error, not a hang.
func withConnectTimeout(target string) string {
	const timeout = 10 * time.Second
	if strings.Contains(target, "connect_timeout") {
		return target
	}
	if schemeRE.MatchString(target) {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		return fmt.Sprintf("%s%sconnect_timeout=%d", target, sep, int(timeout.Seconds()))
	}
	return fmt.Sprintf("%s connect_timeout=%d", target, int(timeout.Seconds()))
}
