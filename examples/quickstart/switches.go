package main

import "context"

// switches shows switches: on or off for everyone.
func switches(ctx context.Context, t *tour) error {
	store := t.store
	on, err := store.SwitchIsActive(ctx, "maintenance")
	if err != nil {
		return err
	}
	t.printf("The switch \"maintenance\" does not exist yet, so it reads as Config.SwitchDefault: %v.\n", on)

	if err := store.SetSwitch(ctx, "maintenance", true); err != nil {
		return err
	}
	on, err = store.SwitchIsActive(ctx, "maintenance")
	if err != nil {
		return err
	}
	t.printf("SetSwitch(\"maintenance\", true) created it; it reads as %v.\n", on)

	if err := store.SetSwitch(ctx, "maintenance", false); err != nil {
		return err
	}
	on, err = store.SwitchIsActive(ctx, "maintenance")
	if err != nil {
		return err
	}
	t.printf("SetSwitch(\"maintenance\", false) turned it off; it reads as %v.\n", on)

	if err := store.SetSwitch(ctx, "new-checkout", true); err != nil {
		return err
	}
	list, err := store.ListSwitches(ctx)
	if err != nil {
		return err
	}
	t.printf("ListSwitches returns %d switches:\n", len(list))
	for _, sw := range list {
		t.printf("  %s: active=%v\n", sw.Name, sw.Active)
	}

	err = store.SetSwitch(ctx, "_hidden", true)
	t.printf("A name starting with \"_\" is refused before any SQL: %v\n", err)
	return nil
}
