package waffle_test

import (
	"context"
	"fmt"

	"github.com/gowaffle/waffle"
)

// A switch is on or off for everyone. A switch that does not exist reads as
// Config.SwitchDefault, here after being created because of
// Config.CreateMissingSwitches.
func ExampleStore_SwitchIsActive() {
	store, cleanup := exampleStore(&waffle.Config{CreateMissingSwitches: true})
	defer cleanup()
	ctx := context.Background()

	if err := store.SetSwitch(ctx, "maintenance", true); err != nil {
		fmt.Println(err)
		return
	}
	on, _ := store.SwitchIsActive(ctx, "maintenance")
	fmt.Println("maintenance:", on)

	on, _ = store.SwitchIsActive(ctx, "new_checkout") // missing: created off
	fmt.Println("new_checkout:", on)

	switches, _ := store.ListSwitches(ctx)
	for _, sw := range switches {
		fmt.Printf("%s active=%v\n", sw.Name, sw.Active)
	}

	_, err := store.SwitchIsActive(ctx, "_private")
	fmt.Println(err)
	// Output:
	// maintenance: true
	// new_checkout: false
	// maintenance active=true
	// new_checkout active=false
	// waffle: invalid switch name "_private": must not start with "_"
}
