package waffle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A window reaches evaluation through the sync: FlagIsActive reads the
// WAFFLE_ group like any group of the flag, in its one statement.
func TestWindowTurnsFlagOnAndOff(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
		addWindow(t, s, "beta", "ann", windowT0, endAt(windowT0.Add(time.Hour)))
		ann := WithUser(ctx, User{ID: "ann"})
		bob := WithUser(ctx, User{ID: "bob"})
		active := func(ctx context.Context) bool {
			t.Helper()
			on, err := s.FlagIsActive(ctx, "beta")
			require.NoError(t, err)
			return on
		}

		require.False(t, active(ann), "no sync yet")
		syncOne(t, s, "beta")
		require.True(t, active(ann), "window -> sync -> on")
		require.False(t, active(bob))

		// Saving the flag keeps the sync's group attached, and the flag
		// lists it.
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Contains(t, f.Groups, SyncGroupName("beta"))
		f.Groups = nil
		f.Note = "edited"
		require.NoError(t, s.SaveFlag(ctx, f))
		require.True(t, active(ann), "SaveFlag left the WAFFLE_ group attached")

		clock.Set(windowT0.Add(time.Hour))
		require.True(t, active(ann), "the end counts from the next sync")
		syncOne(t, s, "beta")
		require.False(t, active(ann), "clock past the end -> sync -> off")

		// SyncUserMembership turns it on at once for one user.
		addWindow(t, s, "beta", "bob", windowT0, nil)
		on, err := s.SyncUserMembership(ctx, "beta", "bob")
		require.NoError(t, err)
		require.True(t, on)
		require.True(t, active(bob))
	})
}

func TestDeleteFlagRemovesWindowsAndGroup(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "other"}))
		addWindow(t, s, "beta", "ann", windowT0, nil)
		addWindow(t, s, "beta", "bob", windowT0, nil)
		kept := addWindow(t, s, "other", "ann", windowT0, nil)
		_, err := s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"ann", "bob"}, groupMembers(t, s, "beta"))

		require.NoError(t, s.DeleteFlag(ctx, "beta"))
		list, err := s.ListWindows(ctx, WindowFilter{})
		require.NoError(t, err)
		require.Equal(t, []FlagMember{kept}, list, "beta's windows went with it")
		require.Nil(t, groupMembers(t, s, "beta"))
		var groups []string
		require.NoError(t, s.db.Raw("SELECT name FROM waffle_group ORDER BY name").Scan(&groups).Error)
		require.Equal(t, []string{SyncGroupName("other")}, groups, "beta's WAFFLE_ group went with it")

		res, err := s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []FlagSync{{Flag: "other", Active: 1}}, res.Flags)
		_, err = s.SyncMembership(ctx, "beta")
		require.ErrorIs(t, err, ErrNotFound)
	})
}
