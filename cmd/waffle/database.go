package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

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

// open opens the command's database and returns a Store on it, and the
// function that closes it. It does not check the schema (migrate needs that).
func (cf *cmdFlags) open(ctx context.Context) (*waffle.Store, func(), error) {
	target := cf.target()
	if strings.TrimSpace(target) == "" {
		return nil, nil, errNoDatabase
	}
	if dbopen.IsPostgres(target) {
		target = withConnectTimeout(target)
	}
	type opened struct {
		store *waffle.Store
		close func()
		err   error
	}
	// dbopen.Open takes no context: run it aside so that an interrupt still
	// ends the command.
	ch := make(chan opened, 1)
	go func() {
		db, err := dbopen.Open(target)
		if err != nil {
			ch <- opened{err: err}
			return
		}
		closeDB := func() { _ = dbopen.Close(db) }
		s, err := waffle.New(db, nil)
		if err != nil {
			closeDB()
			ch <- opened{err: err}
			return
		}
		ch <- opened{store: s, close: closeDB}
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
			return nil, nil, fmt.Errorf("opening the database %s: %w", redact(cf.target()), o.err)
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
		return nil, nil, fmt.Errorf("the database %s has %d of the %d waffle migrations: run `waffle migrate` first", redact(cf.target()), applied, len(status))
	}
	return s, closeDB, nil
}

// withConnectTimeout adds a connect timeout to a PostgreSQL URL that has
// none, so that an unreachable server is an error, not a hang.
func withConnectTimeout(target string) string {
	const timeout = 10 * time.Second
	if strings.Contains(target, "connect_timeout") {
		return target
	}
	if strings.Contains(target, "://") {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		return fmt.Sprintf("%s%sconnect_timeout=%d", target, sep, int(timeout.Seconds()))
	}
	return fmt.Sprintf("%s connect_timeout=%d", target, int(timeout.Seconds()))
}

// redact hides the password of a PostgreSQL URL in messages.
func redact(target string) string {
	if !dbopen.IsPostgres(target) {
		return target
	}
	if i := strings.Index(target, "://"); i >= 0 {
		rest := target[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return target[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
			}
		}
		return target
	}
	return "(PostgreSQL DSN)"
}
