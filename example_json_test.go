package waffle_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gowaffle/waffle"
)

// SetFromJSON loads many string flags in one transaction: all or nothing.
func ExampleStore_SetFromJSON_allOrNothing() {
	store, cleanup := exampleStore(nil)
	defer cleanup()
	ctx := context.Background()

	err := store.SetFromJSON(ctx, []byte(`{"banner": "Winter sale", "beta": true, "legacy": false, "limit": 2.50, "old": null}`))
	fmt.Println("loaded:", err)
	for _, name := range []string{"banner", "beta", "legacy", "limit", "old"} {
		v, _ := store.Get(ctx, name)
		fmt.Printf("%s=%q null=%v\n", name, v.String(), v.Null())
	}

	// A nested value fails the whole batch: "banner" keeps its value.
	err = store.SetFromJSON(ctx, []byte(`{"banner": "Spring sale", "colors": ["red"]}`))
	fmt.Println(errors.Is(err, waffle.ErrInvalidJSON), err)
	v, _ := store.Get(ctx, "banner")
	fmt.Println("banner:", v)
	// Output:
	// loaded: <nil>
	// banner="Winter sale" null=false
	// beta="True" null=false
	// legacy="" null=false
	// limit="2.50" null=false
	// old="" null=true
	// true waffle: invalid JSON at key "colors" (offset 36): values must be strings, numbers, true, false or null, got an array
	// banner: Winter sale
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
