package waffletest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowaffle/waffle"
)

// The overrides change an object for the rest of the test and put it back in
// tb.Cleanup, which runs also when the test fails or stops early: an object
// that did not exist is created and then deleted; one that did is restored,
// every field of it (its modified time aside). Overrides of the same name
// nest: each restores what it found. A failure stops the test (tb.Fatalf),
// or, in the cleanup, fails it (tb.Errorf).
//
// The store may be one bound to a transaction (Store.WithTx): the override
// and its cleanup then run in that transaction.

// OverrideSwitch turns the switch called name on or off for the rest of the
// test.
func OverrideSwitch(tb testing.TB, s *waffle.Store, name string, active bool) {
	tb.Helper()
	ctx := context.Background()
	old, err := s.GetSwitch(ctx, name)
	created := errors.Is(err, waffle.ErrNotFound)
	if err != nil && !created {
		tb.Fatalf("waffletest: OverrideSwitch: %v", err)
	}
	if err := s.SetSwitch(ctx, name, active); err != nil {
		tb.Fatalf("waffletest: OverrideSwitch: %v", err)
	}
	tb.Cleanup(func() {
		restore(tb, "OverrideSwitch", created, func(ctx context.Context) error {
			if created {
				return s.DeleteSwitch(ctx, name)
			}
			return waffle.Save(ctx, s, old)
		})
	})
}

// restore runs undo for an override, with a context of its own: the test's
// may be over.
func restore(tb testing.TB, override string, created bool, undo func(ctx context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := undo(ctx)
	if created && errors.Is(err, waffle.ErrNotFound) {
		err = nil // the test deleted it already
	}
	if err != nil {
		tb.Errorf("waffletest: %s: restoring: %v", override, err)
	}
}
