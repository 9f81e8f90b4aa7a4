package waffle_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/gowaffle/waffle"
)

// windowExampleStore returns a migrated Store on a new SQLite file whose
// clock reads *now, with a flag called "beta", and a function that removes
// it all.
func windowExampleStore(now *time.Time) (*waffle.Store, func()) {
	store, done := exampleStore(&waffle.Config{Now: func() time.Time { return *now }})
	if err := store.SaveFlag(context.Background(), &waffle.Flag{Name: "beta"}); err != nil {
		panic(err)
	}
	return store, done
}

func ExampleStore_SyncMembership() {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	store, done := windowExampleStore(&now)
	defer done()

	// Ada gets beta for one week from now; Bob from now on.
	week := now.Add(7 * 24 * time.Hour)
	_, _ = store.AddWindow(ctx, waffle.FlagMember{Flag: "beta", User: "ada", End: &week})
	_, _ = store.AddWindow(ctx, waffle.FlagMember{Flag: "beta", User: "bob"})

	sync := func() {
		res, err := store.SyncMembership(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, f := range res.Flags {
			fmt.Printf("%s: active %d, added %d, removed %d\n", f.Flag, f.Active, f.Added, f.Removed)
		}
		on, _ := store.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "ada"}), "beta")
		fmt.Println("beta on for ada:", on)
	}
	sync()
	now = week // the end is not included
	sync()
	// Output:
	// beta: active 2, added 2, removed 0
	// beta on for ada: true
	// beta: active 1, added 0, removed 1
	// beta on for ada: false
}

func ExampleStore_SyncMembership_missingFlag() {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	store, done := windowExampleStore(&now)
	defer done()

	res, err := store.SyncMembership(ctx, "beta", "gamma")
	var nf *waffle.NotFoundError
	if errors.As(err, &nf) {
		fmt.Println("missing:", nf.Kind, nf.Name)
	}
	for _, f := range res.Flags {
		fmt.Println(f.Flag, f.Err == nil)
	}
	// Output:
	// missing: flag gamma
	// beta true
	// gamma false
}

// An application without a scheduler starts the loop beside its server, in
// every replica; it stops with the context.
func ExampleStore_SyncLoop() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	now := time.Now()
	store, done := windowExampleStore(&now)
	defer done()

	go func() {
		// Runs a sync now and then every minute; logs through Config.Logger.
		_ = store.SyncLoop(ctx, time.Minute)
	}()
	// ... serve requests until ctx ends ...
}
