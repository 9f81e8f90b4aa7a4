package waffle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gowaffle/waffle"
)

// String flags hold text (flagday's). Set stores true as "True", false as ""
// and nil as NULL; Value.Bool is flagday's truthiness.
func ExampleStore_Set() {
	store, cleanup := exampleStore(nil)
	defer cleanup()
	ctx := context.Background()

	_ = store.Set(ctx, "banner", "Winter sale")
	_ = store.Set(ctx, "beta", true)
	_ = store.Set(ctx, "max_items", 25)
	_ = store.Set(ctx, "legacy", false)

	for _, name := range []string{"banner", "beta", "max_items", "legacy"} {
		v, _ := store.Get(ctx, name)
		fmt.Printf("%s: %q bool=%v\n", name, v.String(), v.Bool())
	}
	// Output:
	// banner: "Winter sale" bool=true
	// beta: "True" bool=true
	// max_items: "25" bool=true
	// legacy: "" bool=false
}

// A string flag that does not exist, or whose value is NULL, reads according
// to Config.MissingFlagHandling.
func ExampleMissingFlagMode() {
	ctx := context.Background()
	for _, mode := range []waffle.MissingFlagMode{waffle.ReturnFalse, waffle.ReturnEmpty, waffle.ReturnNone, waffle.Exception} {
		store, cleanup := exampleStore(&waffle.Config{MissingFlagHandling: mode})
		_ = store.Set(ctx, "null", nil)
		missing, err := store.Get(ctx, "missing")
		null, _ := store.Get(ctx, "null")
		fmt.Printf("%-12s missing=%#v null=%#v found=%v isNoSuchFlag=%v\n",
			mode, missing.Any(), null.Any(), missing.Found(), errors.Is(err, waffle.ErrNoSuchFlag))
		cleanup()
	}
	// Output:
	// return_false missing=false null=false found=false isNoSuchFlag=false
	// return_empty missing="" null="" found=false isNoSuchFlag=false
	// return_none  missing=<nil> null=<nil> found=false isNoSuchFlag=false
	// exception    missing=<nil> null=<nil> found=false isNoSuchFlag=true
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
