package waffle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/dbtx"
	"github.com/gowaffle/waffle/internal/query"
)

// Store reads and writes flags, switches, samples, string flags and time
// windows in the application's database. It is safe for concurrent use. It
// holds no cache: every read is one fresh statement, so every process sees a
// change at its next read; unless [Store.StartSnapshot] was called, or the
// route declared its names with [Store.Needs] (one statement per request).
type Store struct {
	db    *gorm.DB // the application's handle, or its transaction (WithTx)
	cfg   Config   // with defaults applied
	q     *query.Set
	stmts *dbtx.StmtCache // prepared reads, shared with every WithTx copy
	snap  *snapshotState  // the in-process snapshot, when started (StartSnapshot)

	errLog *errLimiter // rate limit of the Or reads' error records, shared too
}

// New returns a Store on db, which the application opened with a PostgreSQL or
// SQLite gorm driver. cfg may be nil. New validates cfg (a *ConfigError names
// a bad field), runs no statement and starts no goroutine: call
// [Store.Migrate] to create the schema.
//
// On SQLite, open db with a busy timeout, foreign keys on and WAL, for
// example "file:app.db?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL"
// with gorm.io/driver/sqlite.
func New(db *gorm.DB, cfg *Config) (*Store, error) {
	if db == nil {
		return nil, errors.New("waffle: New: db is nil (pass the *gorm.DB your application opened)")
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	name := ""
	if db.Dialector != nil {
		name = db.Dialector.Name()
	}
	q := query.For(name)
	if c.Django != nil {
		q = djangoQueries(name)
	}
	if q == nil {
		return nil, fmt.Errorf("%w %q: waffle supports postgres and sqlite", ErrUnsupportedDatabase, name)
	}
	return &Store{db: db, cfg: c, q: q, stmts: &dbtx.StmtCache{}, errLog: &errLimiter{}, snap: &snapshotState{}}, nil
}

// WithTx returns a Store that runs every call inside tx, a transaction the
// application began on the same database (db.Begin or db.Transaction). Its
// changes commit or roll back with the application's own, and its reads see
// the transaction's writes. A nil tx returns s.
func (s *Store) WithTx(tx *gorm.DB) *Store {
	if tx == nil {
		return s
	}
	c := *s
	c.db = tx
	return &c
}

// Dialect returns "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.q.Dialect }

// now returns the configured clock's time in UTC at the database's precision,
// so that times compare equal after a round trip and, on SQLite, as text.
func (s *Store) now() time.Time { return dbTime(s.cfg.Now()) }

// dbTime converts t to what the library stores: UTC, microseconds.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// execer is what statements run on: the pool, a transaction or a connection.
type execer = dbtx.Execer

// pool returns where reads of this Store go: the *gorm.DB's statement pool
// (a replica's, on a handle from db.Clauses(dbresolver.Read)), or its
// transaction. Writes go to writePool.
func (s *Store) pool() gorm.ConnPool { return s.db.Statement.ConnPool }

// writePool returns where single-statement writes go, and the reads a write
// or a sync depends on: the application's transaction (WithTx), else the pool
// the *gorm.DB was opened with (its Config.ConnPool). Plugins such as
// gorm.io/plugin/dbresolver switch only the statement's pool (for GORM's own
// queries, or on a handle from db.Clauses(dbresolver.Read)): the Store's
// reads follow that switch, its writes never do.
func (s *Store) writePool() gorm.ConnPool {
	if s.inAppTx() {
		return s.pool()
	}
	return s.db.ConnPool
}

// primaryDB returns the *sql.DB of writePool outside a transaction: where
// write transactions, syncs and migrations take their connection.
func (s *Store) primaryDB() (*sql.DB, error) {
	switch p := s.db.ConnPool.(type) {
	case *sql.DB:
		return p, nil
	case gorm.GetDBConnector:
		return p.GetDBConn()
	}
	return s.db.DB()
}

// inAppTx reports whether the Store is bound to the application's transaction.
func (s *Store) inAppTx() bool { return dbtx.InAppTx(s.db) }

// queryRow runs the read statement called name and returns its row. Outside a
// transaction the statement is prepared once per Store and reused: one round
// trip per read (unless Config.DisablePreparedStatements).
func (s *Store) queryRow(ctx context.Context, name string, args ...any) *sql.Row {
	return s.queryRowOn(ctx, s.pool(), name, args...)
}

// writeQueryRow is queryRow for a statement that writes (an audited
// setter's): it runs on writePool, the primary, never on a read replica.
func (s *Store) writeQueryRow(ctx context.Context, name string, args ...any) *sql.Row {
	return s.queryRowOn(ctx, s.writePool(), name, args...)
}

// queryRowOn runs the statement called name on pool, prepared once per Store
// when pool is the Store's *sql.DB.
func (s *Store) queryRowOn(ctx context.Context, pool gorm.ConnPool, name string, args ...any) *sql.Row {
	if db, ok := pool.(*sql.DB); ok && !s.cfg.DisablePreparedStatements {
		stmt, err := s.stmts.Get(ctx, db, s.q, name) //nolint:sqlclosecheck // cached for the Store's life, like the pool
		if err == nil {
			return stmt.QueryRowContext(ctx, args...)
		}
		// Prepare failed (a cancelled context, a schema not migrated yet):
		// run the statement unprepared so the caller sees the real error.
	}
	// A copy, so that args does not escape through the interface call and
	// the prepared path above keeps the caller's arguments on its stack.
	return pool.QueryRowContext(ctx, s.q.SQL(name), slices.Clone(args)...)
}

// query runs the statement called name and returns its rows, unprepared.
func (s *Store) query(ctx context.Context, ex execer, name string, args ...any) (*sql.Rows, error) {
	return ex.QueryContext(ctx, s.q.SQL(name), args...)
}

// exec runs the statement called name on ex.
func (s *Store) exec(ctx context.Context, ex execer, name string, args ...any) (sql.Result, error) {
	return ex.ExecContext(ctx, s.q.SQL(name), args...)
}

// writeTx runs fn in a write transaction: the application's, when the Store
// is bound to one (fn's statements then commit or roll back with it), or a new
// one that holds the database's write lock from its first statement (BEGIN
// IMMEDIATE on SQLite), committed when fn returns nil and rolled back
// otherwise.
func (s *Store) writeTx(ctx context.Context, fn func(ex execer) error) error {
	return dbtx.WriteTx(ctx, s.db, s.primaryDB, s.q, fn)
}

// logMissing logs a read of an object that does not exist, when configured.
func (s *Store) logMissing(ctx context.Context, level slog.Leveler, kind, name string) {
	if level == nil {
		return
	}
	s.cfg.Logger.Log(ctx, level.Level(), "waffle: "+kind+" not found", "kind", kind, "name", name)
}
