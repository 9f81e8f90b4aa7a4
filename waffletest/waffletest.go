// Package waffletest helps applications test code that uses waffle: a
// migrated store of its own for each test, and overrides of switches,
// samples, string flags and flags that are undone when the test ends.
//
//	func TestCheckout(t *testing.T) {
//		t.Parallel()
//		store := waffletest.New(t)
//		waffletest.OverrideSwitch(t, store, "new_checkout", true)
//		...
//	}
//
// The store of [New] is in-memory SQLite (gorm.io/driver/sqlite, which needs
// cgo), private to the test, so tests that use it may run in parallel.
// [NewWithDB] migrates the application's own handle instead: a pure-Go
// SQLite driver, or a PostgreSQL schema of the test's own. This package
// imports no PostgreSQL driver.
//
// # Overrides
//
// The overrides change an object for the rest of the test and put it back in
// tb.Cleanup, which runs also when the test fails or stops early: an object
// that did not exist is created and then deleted; one that did is restored,
// every field of it (its modified time aside). Overrides of the same name
// nest: each restores what it found. A failure stops the test (tb.Fatalf),
// or, in the cleanup, fails it (tb.Errorf).
//
// The store may be one bound to a transaction (Store.WithTx): the override
// and its cleanup then run in that transaction, so register the
// transaction's rollback with tb.Cleanup before the overrides (cleanups run
// last registered first).
package waffletest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gowaffle/waffle"
)

// New returns a store on a new, migrated database that belongs to the
// test tb and goes away when it ends (see [DB]). It is [NewWithConfig] with a
// nil config. Any failure stops the test.
func New(tb testing.TB) *waffle.Store {
	tb.Helper()
	return NewWithConfig(tb, nil)
}

// NewWithConfig is [New] with the store's configuration: a fixed clock
// (Config.Now), a seeded random source (Config.Rand), missing-object
// settings.
func NewWithConfig(tb testing.TB, cfg *waffle.Config) *waffle.Store {
	tb.Helper()
	return NewWithDB(tb, DB(tb), cfg)
}

// NewWithDB returns a store with configuration cfg (nil for the defaults) on
// db, the application's own handle, after migrating it. The test owns db:
// NewWithDB neither closes nor empties it. Any failure stops the test.
func NewWithDB(tb testing.TB, db *gorm.DB, cfg *waffle.Config) *waffle.Store {
	tb.Helper()
	s, err := waffle.New(db, cfg)
	if err != nil {
		tb.Fatalf("waffletest: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("waffletest: %v", err)
	}
	return s
}

// DB returns a new, empty database that belongs to the test tb, for a test
// that also keeps its own tables in it (and calls waffle.New and
// Store.Migrate itself). It is closed, and its data gone, when the test ends.
//
// By default it is an in-memory SQLite database with a unique name, shared
// by every connection of the returned handle (SQLite's memdb VFS, with
// locking and a busy timeout, so concurrent readers and writers in the test
// wait for each other instead of failing). One connection stays open for the
// test's life, so the data survives idle connections being closed.
func DB(tb testing.TB) *gorm.DB {
	tb.Helper()
	return memoryDB(tb)
}

// memoryDSN returns a go-sqlite3 DSN for a new in-memory database: memdb
// databases whose name starts with "/" are shared by every connection of the
// process that opens the same name.
func memoryDSN() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "file:/waffletest-" + hex.EncodeToString(b[:]) +
		"?vfs=memdb&_busy_timeout=10000&_foreign_keys=on&_txlock=immediate"
}

func memoryDB(tb testing.TB) *gorm.DB {
	tb.Helper()
	// No gorm logging (the library logs through slog), no default
	// transaction around single writes: as the library's own handles.
	db, err := gorm.Open(sqlite.Open(memoryDSN()), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		tb.Fatalf("waffletest: opening in-memory SQLite: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatalf("waffletest: %v", err)
	}
	// The database lives while one connection to it is open.
	keep, err := sqlDB.Conn(context.Background())
	if err != nil {
		_ = sqlDB.Close()
		tb.Fatalf("waffletest: opening in-memory SQLite: %v", err)
	}
	sqlDB.SetMaxOpenConns(20)
	tb.Cleanup(func() {
		_ = keep.Close()
		_ = sqlDB.Close()
	})
	return db
}
