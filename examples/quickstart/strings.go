package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gowaffle/waffle"
)

// stringFlags shows flagday's string flags: Set, Get, the modes for a missing
// flag, and SetFromJSON.
func stringFlags(ctx context.Context, t *tour) error {
	store := t.store
	values := []struct {
		name  string
		value any
	}{
		{"theme", "dark"},
		{"max-items", 50},
		{"ratio", 0.25},
		{"beta", true},
		{"legacy", false},
		{"unset", nil},
	}
	t.println("Set stores every value as text:")
	for _, v := range values {
		if err := store.Set(ctx, v.name, v.value); err != nil {
			return err
		}
		got, err := store.Get(ctx, v.name)
		if err != nil {
			return err
		}
		t.printf("  Set(%q, %s) -> %s; Bool() = %v\n", v.name, goValue(v.value), describe(got), got.Bool())
	}

	err := store.Set(ctx, "colors", []string{"red", "blue"})
	t.printf("A slice, map or struct is refused: %v\n", err)

	t.println("A missing flag reads according to Config.MissingFlagHandling:")
	for _, mode := range []waffle.MissingFlagMode{waffle.ReturnFalse, waffle.ReturnEmpty, waffle.ReturnNone, waffle.Exception} {
		s, err := waffle.New(t.db, &waffle.Config{MissingFlagHandling: mode})
		if err != nil {
			return err
		}
		got, err := s.Get(ctx, "no-such-flag")
		if err != nil {
			t.printf("  %-12s -> error: %v\n", mode, err)
			continue
		}
		b, _ := json.Marshal(got)
		t.printf("  %-12s -> Any() = %#v, JSON %s\n", mode, got.Any(), b)
	}

	blob := `[{"theme": "light", "max-items": 100}, {"max-items": 200, "banner": "Welcome!", "ratio": 0.50}]`
	t.printf("SetFromJSON(%s) writes every flag in one transaction; later keys win:\n", blob)
	if err := store.SetFromJSON(ctx, []byte(blob)); err != nil {
		return err
	}
	for _, name := range []string{"theme", "max-items", "banner", "ratio"} {
		got, err := store.Get(ctx, name)
		if err != nil {
			return err
		}
		t.printf("  %s -> %s\n", name, describe(got))
	}

	err = store.SetFromJSON(ctx, []byte(`{"theme": "blue", "nested": {"no": 1}}`))
	t.printf("Invalid input is refused before any write: %v\n", err)
	got, err := store.Get(ctx, "theme")
	if err != nil {
		return err
	}
	t.printf("theme is still %s.\n", describe(got))
	return nil
}

// describe says what a Value is.
func describe(v waffle.Value) string {
	switch {
	case v.Null():
		return "NULL (reads as missing)"
	case !v.Found():
		return "missing"
	}
	return fmt.Sprintf("%q", v.String())
}

// goValue writes v as Go source would.
func goValue(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%#v", v)
}
