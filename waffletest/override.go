package waffletest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowaffle/waffle"
)

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

// OverrideSample sets the percent of the sample called name for the rest of
// the test: 100 for always on, 0 for always off.
func OverrideSample(tb testing.TB, s *waffle.Store, name string, percent float64) {
	tb.Helper()
	ctx := context.Background()
	old, err := s.GetSample(ctx, name)
	created := errors.Is(err, waffle.ErrNotFound)
	if err != nil && !created {
		tb.Fatalf("waffletest: OverrideSample: %v", err)
	}
	if err := s.SetSample(ctx, name, percent); err != nil {
		tb.Fatalf("waffletest: OverrideSample: %v", err)
	}
	tb.Cleanup(func() {
		restore(tb, "OverrideSample", created, func(ctx context.Context) error {
			if created {
				return s.DeleteSample(ctx, name)
			}
			return waffle.Save(ctx, s, old)
		})
	})
}

// OverrideString sets the string flag called name to value for the rest of
// the test, as [waffle.Store.Set] stores it (nil stores NULL). A flag that
// did not exist is deleted at the end, one that was NULL is NULL again.
func OverrideString(tb testing.TB, s *waffle.Store, name string, value any) {
	tb.Helper()
	ctx := context.Background()
	old, err := s.Get(ctx, name)
	if err != nil && !errors.Is(err, waffle.ErrNoSuchFlag) {
		tb.Fatalf("waffletest: OverrideString: %v", err)
	}
	created := !old.Found() && !old.Null()
	if err := s.Set(ctx, name, value); err != nil {
		tb.Fatalf("waffletest: OverrideString: %v", err)
	}
	tb.Cleanup(func() {
		restore(tb, "OverrideString", created, func(ctx context.Context) error {
			switch {
			case created:
				return s.DeleteStringFlag(ctx, name)
			case old.Null():
				return s.Set(ctx, name, nil)
			default:
				return s.Set(ctx, name, old.String())
			}
		})
	})
}

// OverrideFlag sets the everyone field of the flag called name for the rest
// of the test (django-waffle's override_flag): true turns the flag on for
// every request, false off for every request, nil leaves the decision to its
// other rules. A flag that did not exist is created with nothing else on, and
// deleted at the end (with any time windows the test gave it); one that
// existed gets every field back, its users and groups included.
func OverrideFlag(tb testing.TB, s *waffle.Store, name string, everyone *bool) {
	tb.Helper()
	ctx := context.Background()
	old, err := s.GetFlag(ctx, name)
	created := errors.Is(err, waffle.ErrNotFound)
	if err != nil && !created {
		tb.Fatalf("waffletest: OverrideFlag: %v", err)
	}
	f := &waffle.Flag{Name: name}
	if !created {
		f = cloneFlag(old)
	}
	if everyone != nil {
		f.Everyone = new(*everyone)
	} else {
		f.Everyone = nil
	}
	if err := s.SaveFlag(ctx, f); err != nil {
		tb.Fatalf("waffletest: OverrideFlag: %v", err)
	}
	tb.Cleanup(func() {
		restore(tb, "OverrideFlag", created, func(ctx context.Context) error {
			if created {
				return s.DeleteFlag(ctx, name)
			}
			return s.SaveFlag(ctx, cloneFlag(old))
		})
	})
}

// On returns a pointer to true, for [OverrideFlag]: the flag on for everyone.
func On() *bool { return new(true) }

// Off returns a pointer to false, for [OverrideFlag]: the flag off for
// everyone.
func Off() *bool { return new(false) }

// cloneFlag copies f deeply enough that saving the copy leaves f as it is.
func cloneFlag(f *waffle.Flag) *waffle.Flag {
	c := *f
	if f.Everyone != nil {
		c.Everyone = new(*f.Everyone)
	}
	if f.Percent != nil {
		c.Percent = new(*f.Percent)
	}
	c.Languages = append(waffle.LanguageList(nil), f.Languages...)
	c.Users = append([]string(nil), f.Users...)
	c.Groups = append([]string(nil), f.Groups...)
	return &c
}
