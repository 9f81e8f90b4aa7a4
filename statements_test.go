package waffle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every read is exactly one statement; a read of an invalid name is none.
// Kinds add their reads to this table.
func TestReadsSendOneStatement(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "on", true))
		require.NoError(t, s.SetSample(ctx, "half", 50))
		require.NoError(t, s.Set(ctx, "color", "blue"))
		require.NoError(t, s.Set(ctx, "null", nil))

		// Flags: one statement whatever the flag has.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "everyone", Everyone: ptr(true)}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "listed", Users: []string{"u1"}}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "grouped", Groups: []string{"g1"}}))
		require.NoError(t, s.AddGroupMembers(ctx, "g1", "u2"))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "percent", Percent: ptr(50.0), Testing: true, Languages: []string{"en"}}))
		big := &Flag{Name: "big", Percent: ptr(30.0), Staff: true, Authenticated: true, Superusers: true}
		for i := range 10 {
			big.Users = append(big.Users, "big-user-"+strconv.Itoa(i))
		}
		big.Groups = []string{"g1", "g2", "g3"}
		require.NoError(t, s.SaveFlag(ctx, big))
		// A ramp: its percent comes from the same row.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "ramped", Percent: ptr(5.0), Users: []string{"u1"},
			Ramp: LinearRamp(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 0, 100)}))
		// Time windows: the synced WAFFLE_ group is read like any group.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "windowed"}))
		win, err := s.AddWindow(ctx, FlagMember{Flag: "windowed", User: "u4"})
		require.NoError(t, err)
		_, err = s.SyncMembership(ctx, "windowed")
		require.NoError(t, err)
		anon := func() context.Context {
			r := httptest.NewRequest(http.MethodGet, "/?dwft_percent=0&x=1", nil)
			r.Header.Set("Cookie", "a=b")
			return withRequestState(ctx, &requestState{req: r})
		}
		flag := func(ctx context.Context, name string) func() error {
			return func() error { _, err := s.FlagIsActive(ctx, name); return err }
		}
		full := WithLanguage(WithUser(anon(), User{ID: "u2", Authenticated: true, Groups: []string{"x", "y"}}), "fr")

		reads := []struct {
			name string
			read func() error
			want int64
		}{
			{"SwitchExisting", func() error { _, err := s.SwitchIsActive(ctx, "on"); return err }, 1},
			{"SwitchMissing", func() error { _, err := s.SwitchIsActive(ctx, "missing"); return err }, 1},
			{"SwitchInvalidName", func() error { _, _ = s.SwitchIsActive(ctx, "_bad"); return nil }, 0},
			{"SampleExisting", func() error { _, err := s.SampleIsActive(ctx, "half"); return err }, 1},
			{"SampleMissing", func() error { _, err := s.SampleIsActive(ctx, "missing"); return err }, 1},
			{"SampleInvalidName", func() error { _, _ = s.SampleIsActive(ctx, "_bad"); return nil }, 0},
			{"StringFlagExisting", func() error { _, err := s.Get(ctx, "color"); return err }, 1},
			{"StringFlagNull", func() error { _, err := s.Get(ctx, "null"); return err }, 1},
			{"StringFlagMissing", func() error { _, err := s.Get(ctx, "missing"); return err }, 1},
			{"StringFlagInvalidName", func() error { _, _ = s.Get(ctx, "_bad"); return nil }, 0},
			{"StringFlagReservedName", func() error { _, _ = s.Get(ctx, "set_from_json"); return nil }, 0},
			{"FlagMissing", flag(ctx, "missing"), 1},
			{"FlagInvalidName", func() error { _, _ = s.FlagIsActive(ctx, "_bad"); return nil }, 0},
			{"FlagEveryone", flag(ctx, "everyone"), 1},
			{"FlagUserListed", flag(WithUser(ctx, User{ID: "u1"}), "listed"), 1},
			{"FlagGroupMember", flag(WithUser(ctx, User{ID: "u2"}), "grouped"), 1},
			{"FlagGroupByName", flag(WithUser(ctx, User{Groups: []string{"g1"}}), "grouped"), 1},
			{"FlagPercentWithUser", flag(WithUser(ctx, User{ID: "u3"}), "percent"), 1},
			{"FlagPercentAnonymous", flag(anon(), "percent"), 1},
			{"FlagTenUsersThreeGroups", flag(full, "big"), 1},
			{"FlagTenUsersThreeGroupsAnonymous", flag(anon(), "big"), 1},
			{"FlagRampedWithUser", flag(WithUser(ctx, User{ID: "u3"}), "ramped"), 1},
			{"FlagRampedWithGroups", flag(WithUser(ctx, User{ID: "u3", Groups: []string{"x"}}), "ramped"), 1},
			{"FlagRampedAnonymous", flag(anon(), "ramped"), 1},
			{"FlagWindowMember", flag(WithUser(ctx, User{ID: "u4"}), "windowed"), 1},
			{"GetWindow", func() error { _, err := s.GetWindow(ctx, win.ID); return err }, 1},
			{"ListMembersOfUser", func() error { _, err := s.ListWindows(ctx, WindowFilter{User: "u4", ActiveOnly: true}); return err }, 1},
		}
		for _, r := range reads {
			for range 3 { // the first call also prepares; every call sends one statement
				counter.Reset()
				require.NoError(t, r.read(), r.name)
				require.Equal(t, r.want, counter.Count(), "%s sent %v", r.name, counter.Statements())
			}
		}
	})
}

// Creating a missing flag costs a second statement, the insert.
func TestFlagCreateMissingSendsTwoStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, &Config{CreateMissingFlags: true})
		counter.Reset()
		_, err := s.FlagIsActive(ctx, "fresh")
		require.NoError(t, err)
		require.Equal(t, int64(2), counter.Count(), "%v", counter.Statements())
		counter.Reset()
		_, err = s.FlagIsActive(ctx, "fresh")
		require.NoError(t, err)
		require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
	})
}

// ListFlags reads every flag with its users and groups in three statements,
// however many flags there are.
func TestListFlagsStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		for i := range 20 {
			require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "f" + strconv.Itoa(i), Users: []string{"u" + strconv.Itoa(i), "v"}, Groups: []string{"g" + strconv.Itoa(i%3)}}))
		}
		counter.Reset()
		flags, err := s.ListFlags(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(3), counter.Count(), "%v", counter.Statements())
		require.Len(t, flags, 20)
		for _, f := range flags {
			got, err := s.GetFlag(ctx, f.Name)
			require.NoError(t, err)
			require.Equal(t, *got, f, "ListFlags and GetFlag agree")
		}
	})
}
