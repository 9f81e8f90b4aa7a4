package waffletest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestOverrideSwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		existing *bool // nil: the switch does not exist
		override bool
	}{
		{"MissingOn", nil, true},
		{"MissingOff", nil, false},
		{"OnToOff", new(true), false},
		{"OffToOn", new(false), true},
		{"OnToOn", new(true), true},
		{"OffToOff", new(false), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
				s := newStore(t)
				if tc.existing != nil {
					require.NoError(t, waffle.Save(ctx, s, &waffle.Switch{Name: "sw", Active: *tc.existing, Note: "keep me"}))
				}
				t.Run("During", func(t *testing.T) {
					OverrideSwitch(t, s, "sw", tc.override)
					on, err := s.SwitchIsActive(ctx, "sw")
					require.NoError(t, err)
					require.Equal(t, tc.override, on)
				})
				// The subtest's cleanup has run.
				sw, err := s.GetSwitch(ctx, "sw")
				if tc.existing == nil {
					require.ErrorIs(t, err, waffle.ErrNotFound, "a switch the override created is deleted")
					return
				}
				require.NoError(t, err)
				require.Equal(t, *tc.existing, sw.Active, "restored")
				require.Equal(t, "keep me", sw.Note, "restored")
			})
		})
	}
}

func TestOverrideSwitchNested(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		ctx := context.Background()
		s := newStore(t)
		t.Run("Outer", func(t *testing.T) {
			OverrideSwitch(t, s, "sw", true)
			t.Run("Inner", func(t *testing.T) {
				OverrideSwitch(t, s, "sw", false)
				OverrideSwitch(t, s, "sw", true)
				OverrideSwitch(t, s, "sw", false)
				requireSwitch(t, s, "sw", false)
			})
			requireSwitch(t, s, "sw", true)
		})
		_, err := s.GetSwitch(ctx, "sw")
		require.ErrorIs(t, err, waffle.ErrNotFound)
	})
}

// A test that fails, or stops with Fatal, after an override still gets the
// switch back.
func TestOverrideSwitchRestoresAfterFailure(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		ctx := context.Background()
		s := newStore(t)
		require.NoError(t, s.SetSwitch(ctx, "existing", false))
		reached := false
		ft := runFake(t, func(tb testing.TB) {
			OverrideSwitch(tb, s, "existing", true)
			OverrideSwitch(tb, s, "created", true)
			requireSwitch(t, s, "existing", true)
			tb.Fatalf("the test fails here")
			reached = true
		})
		require.True(t, ft.failed)
		require.False(t, reached, "Fatalf stopped the test")
		require.Len(t, ft.messages, 1, "the cleanups reported no error: %q", ft.messages)
		requireSwitch(t, s, "existing", false)
		_, err := s.GetSwitch(ctx, "created")
		require.ErrorIs(t, err, waffle.ErrNotFound)
	})
}

// A test may delete what an override created: the cleanup does not fail.
func TestOverrideSwitchDeletedByTest(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		s := newStore(t)
		ft := runFake(t, func(tb testing.TB) {
			OverrideSwitch(tb, s, "sw", true)
			require.NoError(t, s.DeleteSwitch(context.Background(), "sw"))
		})
		require.False(t, ft.failed, "%q", ft.messages)
	})
}

func TestOverrideSwitchInvalidName(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		s := newStore(t)
		ft := runFake(t, func(tb testing.TB) {
			OverrideSwitch(tb, s, "_bad", true)
			t.Error("OverrideSwitch returned after an invalid name")
		})
		require.True(t, ft.failed)
		require.Contains(t, ft.messages[0], "invalid switch name")
		require.Empty(t, ft.cleanups, "nothing to undo")
	})
}

func requireSwitch(t *testing.T, s *waffle.Store, name string, want bool) {
	t.Helper()
	got, err := s.SwitchIsActive(context.Background(), name)
	require.NoError(t, err)
	require.Equal(t, want, got, "switch %s", name)
}
