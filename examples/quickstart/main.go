// Command quickstart is a tour of waffle on a SQLite file: switches, samples,
// string flags and flags, each explained as it runs.
//
//	go run ./examples/quickstart
//
// It needs no setup: it creates the database in the system's temporary
// directory (removing the one a previous run left), migrates it and prints
// what each call does. Pass -dir to put the database elsewhere.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"

	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "waffle-quickstart"), "directory for the SQLite database file")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run creates a fresh database in dir and runs every section of the tour,
// writing to w.
func run(ctx context.Context, w io.Writer, dir string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "quickstart.db")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	fmt.Fprintf(w, "Creating the SQLite database %s (WAL, busy timeout, foreign keys on).\n", path)
	db, err := dbopen.Open(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, dbopen.Close(db)) }()

	// A seeded random source makes the sample draws, and so this output,
	// the same at every run. Applications leave Rand nil.
	store, err := waffle.New(db, &waffle.Config{Rand: seededRand(42)})
	if err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, "Migrated: the waffle_ tables exist now.")

	sections := []struct {
		title string
		run   func(context.Context, *tour) error
	}{
		{"Switches", switches},
		{"Samples", samples},
		{"String flags", stringFlags},
		{"Flags", flags},
	}
	t := &tour{w: w, db: db, store: store}
	for _, s := range sections {
		fmt.Fprintf(w, "\n== %s ==\n", s.title)
		if err := s.run(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
	}
	fmt.Fprintf(w, "\nDone. The database stays at %s for you to look at.\n", path)
	return nil
}

// tour is what every section of the tour gets: where to write, the database
// and a Store on it.
type tour struct {
	w     io.Writer
	db    *gorm.DB
	store *waffle.Store
}

func (t *tour) printf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }
func (t *tour) println(args ...any)               { fmt.Fprintln(t.w, args...) }

// seededRand returns a Config.Rand with a fixed seed, safe for concurrent use
// as Config.Rand must be.
func seededRand(seed uint64) func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}
