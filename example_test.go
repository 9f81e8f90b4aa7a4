package waffle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

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

func ExampleStore_Get() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()

	_ = store.Set(ctx, "rate-limit", 100)
	_ = store.Set(ctx, "beta", false)

	limit, _ := store.Get(ctx, "rate-limit")
	beta, _ := store.Get(ctx, "beta")
	missing, _ := store.Get(ctx, "no-such-flag")
	fmt.Println(limit.String(), limit.Bool())
	fmt.Printf("%q %v\n", beta.String(), beta.Bool())
	fmt.Println(missing.Found(), missing.Any())
	b, _ := json.Marshal(map[string]waffle.Value{"rate-limit": limit, "beta": beta, "no-such-flag": missing})
	fmt.Println(string(b))
	// Output:
	// 100 true
	// "" false
	// false false
	// {"beta":"","no-such-flag":false,"rate-limit":"100"}
}

func ExampleStore_Get_exception() {
	ctx := context.Background()
	store, done := exampleStore(&waffle.Config{MissingFlagHandling: waffle.Exception})
	defer done()

	_, err := store.Get(ctx, "no-such-flag")
	fmt.Println(err)
	fmt.Println(errors.Is(err, waffle.ErrNoSuchFlag))
	// Output:
	// waffle: no such flag "no-such-flag"
	// true
}

func ExampleStore_SetFromJSON() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()

	err := store.SetFromJSON(ctx, []byte(`[
		{"theme": "dark", "ratio": 0.50, "beta": true},
		{"theme": "light", "banner": null}
	]`))
	fmt.Println(err)
	for _, name := range []string{"theme", "ratio", "beta", "banner"} {
		v, _ := store.Get(ctx, name)
		fmt.Printf("%s: %q null=%v\n", name, v.String(), v.Null())
	}

	err = store.SetFromJSON(ctx, []byte(`{"theme": "blue", "_private": 1}`))
	var je *waffle.JSONError
	fmt.Println(errors.As(err, &je), je.Key)
	// Output:
	// <nil>
	// theme: "light" null=false
	// ratio: "0.50" null=false
	// beta: "True" null=false
	// banner: "" null=true
	// true _private
}

func ExampleStore_SampleIsActive() {
	ctx := context.Background()
	draws := []float64{0.10, 0.95}
	store, done := exampleStore(&waffle.Config{Rand: func() float64 {
		r := draws[0]
		draws = draws[1:]
		return r
	}})
	defer done()

	_ = store.SetSample(ctx, "log-details", 25)
	for range 2 {
		on, _ := store.SampleIsActive(ctx, "log-details")
		fmt.Println(on)
	}
	fmt.Println(store.SetSample(ctx, "log-details", 101))
	// Output:
	// true
	// false
	// waffle: invalid percent of sample "log-details": must be from 0 to 100, got 101
}
