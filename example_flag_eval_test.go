package waffle_test

import (
	"context"
	"fmt"

	"github.com/gowaffle/waffle"
)

func ExampleStore_FlagIsActive() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()

	percent := 0.0 // nobody by percent yet
	_ = store.SaveFlag(ctx, &waffle.Flag{
		Name:    "new-checkout",
		Percent: &percent,
		Staff:   true,
		Users:   []string{"42"},
		Groups:  []string{"beta-testers"},
	})
	_ = store.AddGroupMembers(ctx, "beta-testers", "7")

	for _, u := range []waffle.User{
		{ID: "42"},                         // listed
		{ID: "7"},                          // in beta-testers
		{ID: "8", Staff: true},             // staff
		{ID: "9"},                          // none of these
		{Groups: []string{"beta-testers"}}, // anonymous, group known to the application
	} {
		on, _ := store.FlagIsActive(waffle.WithUser(ctx, u), "new-checkout")
		fmt.Printf("%q: %v\n", u.ID, on)
	}
	// Output:
	// "42": true
	// "7": true
	// "8": true
	// "9": false
	// "": true
}

// Identified users are on iff their stable bucket is below the percent:
// raising the percent keeps everyone who was on.
func ExampleStore_FlagIsActive_percent() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()

	count := func(percent float64) (on int) {
		_ = store.SaveFlag(ctx, &waffle.Flag{Name: "gradual", Percent: &percent})
		for i := range 1000 {
			user := waffle.WithUser(ctx, waffle.User{ID: fmt.Sprint("user-", i)})
			if ok, _ := store.FlagIsActive(user, "gradual"); ok {
				on++
			}
		}
		return on
	}
	fmt.Println(count(0), count(10) > 50, count(100))
	// Output:
	// 0 true 1000
}
