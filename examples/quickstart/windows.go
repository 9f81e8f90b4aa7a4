package main

import (
	"context"
	"time"

	"github.com/gowaffle/waffle"
)

// windows shows time windows: a user gets a flag for a while, and
// SyncMembership turns the windows that are active now into members of the
// flag's WAFFLE_ group, an ordinary group that evaluation already reads.
func windows(ctx context.Context, t *tour) error {
	// A movable clock, so the tour can step through a week at once.
	// Applications leave Config.Now nil (time.Now).
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	store, err := waffle.New(t.db, &waffle.Config{Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	if err := store.SaveFlag(ctx, &waffle.Flag{Name: "trial"}); err != nil {
		return err
	}
	start := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	if _, err := store.AddWindow(ctx, waffle.FlagMember{Flag: "trial", User: "ada", Start: start, End: &end}); err != nil {
		return err
	}
	t.printf("AddWindow: Ada has \"trial\" from %s until %s (the end is not included).\n",
		start.Format(time.DateTime), end.Format(time.DateTime))

	ada := waffle.WithUser(ctx, waffle.User{ID: "ada"})
	for _, step := range []struct {
		at   time.Time
		what string
	}{
		{now, "before the window"},
		{start.Add(24 * time.Hour), "a day into the window"},
		{end, "at its end"},
	} {
		now = step.at
		res, err := store.SyncMembership(ctx, "trial")
		if err != nil {
			return err
		}
		on, err := store.FlagIsActive(ada, "trial")
		if err != nil {
			return err
		}
		_, added, removed := res.Totals()
		t.printf("  %s: SyncMembership added %d, removed %d; FlagIsActive for Ada -> %v\n", step.what, added, removed, on)
	}
	return nil
}
