package waffle_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

// An application opens its database with a gorm driver, gives the handle to
// waffle.New and runs the migrations once, at start-up or from its own
// migration tool (`waffle migrate sql` prints them).
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "waffle-example-")
	defer os.RemoveAll(dir)

	// On SQLite: a busy timeout, foreign keys (deletes cascade) and WAL.
	dsn := "file:" + filepath.Join(dir, "app.db") + "?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()

	store, err := waffle.New(db, nil) // a nil or zero Config is valid
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := store.Migrate(ctx); err != nil { // idempotent
		fmt.Println(err)
		return
	}
	fmt.Println("dialect:", store.Dialect())
	// Output:
	// dialect: sqlite
}

// exampleStore returns a migrated Store on a new SQLite file, and a function
// that removes it.
func exampleStore(cfg *waffle.Config) (*waffle.Store, func()) {
	dir, err := os.MkdirTemp("", "waffle-example-")
	if err != nil {
		panic(err)
	}
	db, err := dbopen.Open(filepath.Join(dir, "app.db"))
	if err != nil {
		panic(err)
	}
	store, err := waffle.New(db, cfg)
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		panic(err)
	}
	return store, func() { _ = dbopen.Close(db); _ = os.RemoveAll(dir) }
}
