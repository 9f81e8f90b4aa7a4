package waffle_test

import (
	"context"
	"fmt"

	"github.com/gowaffle/waffle"
)

// Everyone is the flag's master switch, a tri-state: nil lets the other
// rules decide, true turns the flag on for every request, and false turns it
// off for every request, whatever the other rules say (django-waffle lets a
// listed user through is_active_for_user; waffle does not).
func ExampleFlag_everyone() {
	store, cleanup := exampleStore(nil)
	defer cleanup()
	ctx := context.Background()

	staff := waffle.WithUser(ctx, waffle.User{ID: "1", Staff: true})
	visitor := waffle.WithLanguage(ctx, "de")
	for _, everyone := range []*bool{nil, new(true), new(false)} {
		_ = store.SaveFlag(ctx, &waffle.Flag{
			Name:      "new_checkout",
			Everyone:  everyone,
			Staff:     true,
			Languages: waffle.LanguageList{"de", "fr"},
		})
		forStaff, _ := store.FlagIsActive(staff, "new_checkout")
		forGerman, _ := store.FlagIsActive(visitor, "new_checkout")
		forOthers, _ := store.FlagIsActive(ctx, "new_checkout")
		label := "nil"
		if everyone != nil {
			label = fmt.Sprint(*everyone)
		}
		fmt.Printf("everyone=%-5s staff=%-5v de=%-5v others=%v\n", label, forStaff, forGerman, forOthers)
	}
	// Output:
	// everyone=nil   staff=true  de=true  others=false
	// everyone=true  staff=true  de=true  others=true
	// everyone=false staff=false de=false others=false
}
