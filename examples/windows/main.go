// Command windows shows waffle's time windows (waffle-window): a user gets a
// flag for a while, the sync turns the window into membership of the flag's
// WAFFLE_ group, and the flag turns on and off for that user as the clock
// moves.
//
//	go run ./examples/windows
//
// It needs no setup: it creates a SQLite database in a new temporary
// directory, removed at the end. The clock is a variable (Config.Now), so
// the example moves through two weeks in an instant.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "windows:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) (err error) {
	dir, err := os.MkdirTemp("", "waffle-windows-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	db, err := dbopen.Open(filepath.Join(dir, "windows.db"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, dbopen.Close(db)) }()

	// The clock: the store reads the time from now, which the example moves.
	// Applications leave Config.Now nil (time.Now).
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	store, err := waffle.New(db, &waffle.Config{Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if err := store.SaveFlag(ctx, &waffle.Flag{Name: "beta", Note: "the new editor"}); err != nil {
		return err
	}
	fmt.Fprintln(w, `The flag "beta" exists; it is off for everyone.`)

	start := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	win, err := store.AddWindow(ctx, waffle.FlagMember{Flag: "beta", User: "ada", Start: start, End: &end, Note: "beta week"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Ada gets beta from %s until %s (window %d; the end is not included).\n",
		win.Start.Format(time.DateTime), win.End.Format(time.DateTime), win.ID)

	ada := waffle.WithUser(ctx, waffle.User{ID: "ada"})
	step := func(at time.Time, what string) error {
		now = at
		res, err := store.SyncMembership(ctx)
		if err != nil {
			return err
		}
		on, err := store.FlagIsActive(ada, "beta")
		if err != nil {
			return err
		}
		_, added, removed := res.Totals()
		state := "off"
		if on {
			state = "on"
		}
		fmt.Fprintf(w, "%s (%s): the sync added %d and removed %d; beta is %s for Ada.\n",
			what, at.Format(time.DateTime), added, removed, state)
		return nil
	}
	for _, s := range []struct {
		at   time.Time
		what string
	}{
		{now, "Before the window"},
		{start, "At the start of the window"},
		{start.Add(3 * 24 * time.Hour), "Three days in"},
		{end.Add(-time.Second), "One second before the end"},
		{end, "At the end"},
	} {
		if err := step(s.at, s.what); err != nil {
			return err
		}
	}

	// Windows may overlap; the user has the flag while any is active.
	if _, err := store.AddWindow(ctx, waffle.FlagMember{Flag: "beta", User: "ada", Start: end.Add(24 * time.Hour)}); err != nil {
		return err
	}
	fmt.Fprintln(w, "Ada gets beta again from the next day, with no end.")
	if err := step(end.Add(48*time.Hour), "Two days after the first window"); err != nil {
		return err
	}
	on, err := store.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "bob"}), "beta")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Bob has no window, so beta is %v for him.\n", map[bool]string{true: "on", false: "off"}[on])
	return nil
}
