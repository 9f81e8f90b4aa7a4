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

func TestOverrideSample(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		existing *float64
		override float64
	}{
		{"Missing", nil, 100},
		{"MissingZero", nil, 0},
		{"Was100", new(100.0), 0},
		{"Was0", new(0.0), 100},
		{"Was50", new(50.0), 12.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
				s := newStore(t)
				if tc.existing != nil {
					require.NoError(t, waffle.Save(ctx, s, &waffle.Sample{Name: "sm", Percent: *tc.existing, Note: "keep me"}))
				}
				t.Run("During", func(t *testing.T) {
					OverrideSample(t, s, "sm", tc.override)
					sm, err := s.GetSample(ctx, "sm")
					require.NoError(t, err)
					require.Equal(t, tc.override, sm.Percent)
					on, err := s.SampleIsActive(ctx, "sm")
					require.NoError(t, err)
					if tc.override == 100 || tc.override == 0 {
						require.Equal(t, tc.override == 100, on)
					}
				})
				sm, err := s.GetSample(ctx, "sm")
				if tc.existing == nil {
					require.ErrorIs(t, err, waffle.ErrNotFound)
					return
				}
				require.NoError(t, err)
				require.Equal(t, *tc.existing, sm.Percent)
				require.Equal(t, "keep me", sm.Note)
			})
		})
	}
}

func TestOverrideSampleInvalidPercent(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		s := newStore(t)
		ft := runFake(t, func(tb testing.TB) {
			OverrideSample(tb, s, "sm", 101)
		})
		require.True(t, ft.failed)
		require.Contains(t, ft.messages[0], "percent")
		_, err := s.GetSample(context.Background(), "sm")
		require.ErrorIs(t, err, waffle.ErrNotFound, "nothing written")
	})
}

func TestOverrideString(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type state struct {
		exists bool
		value  any // nil: NULL
	}
	for _, tc := range []struct {
		name     string
		before   state
		override any
		reads    string
	}{
		{"MissingToValue", state{}, "blue", "blue"},
		{"MissingToNull", state{}, nil, ""},
		{"ValueToValue", state{true, "red"}, "blue", "blue"},
		{"ValueToTrue", state{true, "red"}, true, "True"},
		{"ValueToNull", state{true, "red"}, nil, ""},
		{"NullToValue", state{true, nil}, 42, "42"},
		{"EmptyToValue", state{true, ""}, "x", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
				s := newStore(t)
				if tc.before.exists {
					require.NoError(t, s.Set(ctx, "f", tc.before.value))
				}
				before, err := s.ListStringFlags(ctx)
				require.NoError(t, err)
				t.Run("During", func(t *testing.T) {
					OverrideString(t, s, "f", tc.override)
					v, err := s.Get(ctx, "f")
					require.NoError(t, err)
					require.Equal(t, tc.reads, v.String())
					require.Equal(t, tc.override == nil, v.Null())
				})
				after, err := s.ListStringFlags(ctx)
				require.NoError(t, err)
				require.Equal(t, len(before), len(after), "created flags are deleted")
				if len(before) == 1 {
					require.Equal(t, before[0].Value, after[0].Value, "value or NULL restored")
				}
			})
		})
	}
}

// With the exception mode, a missing or NULL flag is an error for Get: the
// override still tells them apart.
func TestOverrideStringExceptionMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewWithConfig(t, &waffle.Config{MissingFlagHandling: waffle.Exception})
	require.NoError(t, s.Set(ctx, "null", nil))
	t.Run("During", func(t *testing.T) {
		OverrideString(t, s, "null", "x")
		OverrideString(t, s, "missing", "y")
	})
	v, err := s.Get(ctx, "null")
	require.ErrorIs(t, err, waffle.ErrNoSuchFlag)
	require.True(t, v.Null(), "NULL again")
	v, err = s.Get(ctx, "missing")
	require.ErrorIs(t, err, waffle.ErrNoSuchFlag)
	require.False(t, v.Null(), "deleted")
}

func TestOverrideStringRejectsValue(t *testing.T) {
	t.Parallel()
	s := New(t)
	ft := runFake(t, func(tb testing.TB) {
		OverrideString(tb, s, "f", []string{"no"})
	})
	require.True(t, ft.failed)
	require.Contains(t, ft.messages[0], "OverrideString")
	flags, err := s.ListStringFlags(context.Background())
	require.NoError(t, err)
	require.Empty(t, flags)
}

func TestOverridesRestoreAfterFatal(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		ctx := context.Background()
		s := newStore(t)
		require.NoError(t, s.SetSample(ctx, "sm", 25))
		require.NoError(t, s.Set(ctx, "str", "old"))
		ft := runFake(t, func(tb testing.TB) {
			OverrideSample(tb, s, "sm", 100)
			OverrideString(tb, s, "str", "new")
			OverrideString(tb, s, "created", "new")
			tb.FailNow()
		})
		require.True(t, ft.failed)
		require.Empty(t, ft.messages)
		sm, err := s.GetSample(ctx, "sm")
		require.NoError(t, err)
		require.Equal(t, 25.0, sm.Percent)
		v, err := s.Get(ctx, "str")
		require.NoError(t, err)
		require.Equal(t, "old", v.String())
		flags, err := s.ListStringFlags(ctx)
		require.NoError(t, err)
		require.Len(t, flags, 1)
	})
}

func TestOverrideFlag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	full := func() *waffle.Flag {
		return &waffle.Flag{Name: "f", Everyone: nil, Percent: new(0.0), Testing: true, Superusers: true, Staff: true,
			Authenticated: false, Languages: waffle.LanguageList{"en", "fr"}, Rollout: true, Note: "keep",
			Users: []string{"u1"}, Groups: []string{"g1"}}
	}
	for _, tc := range []struct {
		name string
		// existing makes the flag there before the test, a new one for each
		// database: Save fills in the record it is given.
		existing func() *waffle.Flag
		everyone *bool
		// Whether an anonymous request and one by staff have the flag
		// during the override.
		anon, staff bool
	}{
		{"MissingOn", nil, On(), true, true},
		{"MissingOff", nil, Off(), false, false},
		{"MissingUnset", nil, nil, false, false},
		{"UnsetToOn", full, On(), true, true},
		{"UnsetToOff", full, Off(), false, false},
		{"UnsetToUnset", full, nil, false, true},
		{"OnToOff", func() *waffle.Flag { f := full(); f.Everyone = On(); return f }, Off(), false, false},
		{"OffToUnset", func() *waffle.Flag { f := full(); f.Everyone = Off(); return f }, nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
				s := newStore(t)
				if tc.existing != nil {
					require.NoError(t, s.SaveFlag(ctx, tc.existing()))
					// A window, synced: the flag has its WAFFLE_ group too.
					_, err := s.AddWindow(ctx, waffle.FlagMember{Flag: "f", User: "w1"})
					require.NoError(t, err)
					_, err = s.SyncMembership(ctx, "f")
					require.NoError(t, err)
				}
				before, _ := s.GetFlag(ctx, "f")
				t.Run("During", func(t *testing.T) {
					OverrideFlag(t, s, "f", tc.everyone)
					f, err := s.GetFlag(ctx, "f")
					require.NoError(t, err)
					require.Equal(t, tc.everyone, f.Everyone)
					on, err := s.FlagIsActive(ctx, "f")
					require.NoError(t, err)
					require.Equal(t, tc.anon, on, "anonymous")
					on, err = s.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "s", Staff: true}), "f")
					require.NoError(t, err)
					require.Equal(t, tc.staff, on, "staff")
				})
				after, err := s.GetFlag(ctx, "f")
				if tc.existing == nil {
					require.ErrorIs(t, err, waffle.ErrNotFound, "created, then deleted")
					return
				}
				require.NoError(t, err)
				after.Modified = before.Modified
				require.Equal(t, before, after, "every field restored, the windows' group included")
			})
		})
	}
}

func TestOverrideFlagRestoresAfterFatal(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		ctx := context.Background()
		s := newStore(t)
		require.NoError(t, s.SaveFlag(ctx, &waffle.Flag{Name: "f", Staff: true, Users: []string{"u"}}))
		ft := runFake(t, func(tb testing.TB) {
			OverrideFlag(tb, s, "f", On())
			OverrideFlag(tb, s, "new", Off())
			tb.Fatalf("boom")
		})
		require.Equal(t, []string{"boom"}, ft.messages)
		f, err := s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.Nil(t, f.Everyone)
		require.True(t, f.Staff)
		require.Equal(t, []string{"u"}, f.Users)
		_, err = s.GetFlag(ctx, "new")
		require.ErrorIs(t, err, waffle.ErrNotFound)
	})
}
