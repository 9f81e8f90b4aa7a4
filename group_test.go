package waffle

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		now := time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)
		s := h.store(t, &Config{Now: func() time.Time { return now }})

		require.NoError(t, s.CreateGroup(ctx, "testers"))
		require.NoError(t, s.CreateGroup(ctx, "testers"), "creating an existing group does nothing")
		members, err := s.GroupMembers(ctx, "testers")
		require.NoError(t, err)
		require.Equal(t, []string{}, members, "an empty group")

		require.NoError(t, s.AddGroupMembers(ctx, "testers", "u2", "u1", "u1"))
		require.NoError(t, s.AddGroupMembers(ctx, "testers", "u1", "u3"), "idempotent")
		require.NoError(t, s.AddGroupMembers(ctx, "admins", "u1"), "creates the group")
		members, err = s.GroupMembers(ctx, "testers")
		require.NoError(t, err)
		require.Equal(t, []string{"u1", "u2", "u3"}, members)

		groups, err := s.UserGroups(ctx, "u1")
		require.NoError(t, err)
		require.Equal(t, []string{"admins", "testers"}, groups)
		groups, err = s.UserGroups(ctx, "nobody")
		require.NoError(t, err)
		require.Equal(t, []string{}, groups)

		list, err := s.ListGroups(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "admins", list[0].Name)
		require.Equal(t, "testers", list[1].Name)
		require.NotZero(t, list[0].ID)
		require.True(t, list[0].Created.Equal(now.Truncate(time.Microsecond)), "%v", list[0].Created)

		require.NoError(t, s.RemoveGroupMembers(ctx, "testers", "u2", "stranger"))
		members, err = s.GroupMembers(ctx, "testers")
		require.NoError(t, err)
		require.Equal(t, []string{"u1", "u3"}, members)

		// Membership counts in evaluation, and deleting the group takes it off
		// the flag.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Groups: []string{"testers"}}))
		on, err := s.FlagIsActive(WithUser(ctx, User{ID: "u3"}), "beta")
		require.NoError(t, err)
		require.True(t, on)
		require.NoError(t, s.DeleteGroup(ctx, "testers"))
		on, err = s.FlagIsActive(WithUser(ctx, User{ID: "u3"}), "beta")
		require.NoError(t, err)
		require.False(t, on)
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{}, f.Groups)
		_, err = s.GroupMembers(ctx, "testers")
		require.ErrorIs(t, err, ErrNotFound)
		groups, err = s.UserGroups(ctx, "u3")
		require.NoError(t, err)
		require.Equal(t, []string{}, groups, "the members went with the group")

		require.ErrorIs(t, s.DeleteGroup(ctx, "testers"), ErrNotFound)
		require.ErrorIs(t, s.RemoveGroupMembers(ctx, "testers", "u1"), ErrNotFound)
	})
}

func TestGroupsBadInput(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.AddGroupMembers(ctx, "keep", "u1"))

		var ne *NameError
		err := s.CreateGroup(ctx, "WAFFLE_beta")
		require.ErrorAs(t, err, &ne)
		require.Equal(t, "group", ne.Kind)
		require.Contains(t, err.Error(), "SyncMembership")
		for name, call := range map[string]func() error{
			"CreateEmpty":          func() error { return s.CreateGroup(ctx, "") },
			"CreateUnderscore":     func() error { return s.CreateGroup(ctx, "_x") },
			"CreateTooLong":        func() error { return s.CreateGroup(ctx, strings.Repeat("g", 256)) },
			"DeleteSync":           func() error { return s.DeleteGroup(ctx, "WAFFLE_beta") },
			"AddMembersSync":       func() error { return s.AddGroupMembers(ctx, "WAFFLE_beta", "u1") },
			"RemoveMembersSync":    func() error { return s.RemoveGroupMembers(ctx, "WAFFLE_beta", "u1") },
			"AddMembersBadName":    func() error { return s.AddGroupMembers(ctx, "bad\x00", "u1") },
			"GroupMembersBadName":  func() error { _, err := s.GroupMembers(ctx, "_x"); return err },
			"CreateReserved":       func() error { return s.CreateGroup(ctx, "set_from_json") },
			"CreateControlCharTab": func() error { return s.CreateGroup(ctx, "a\tb") },
		} {
			t.Run(name, func(t *testing.T) {
				require.ErrorIs(t, call(), ErrInvalidName)
			})
		}
		for name, call := range map[string]func() error{
			"AddEmptyUser":         func() error { return s.AddGroupMembers(ctx, "keep", "u2", "") },
			"AddControlUser":       func() error { return s.AddGroupMembers(ctx, "keep", "u\x7f") },
			"AddInvalidUTF8":       func() error { return s.AddGroupMembers(ctx, "keep", "\xc3") },
			"AddTooLong":           func() error { return s.AddGroupMembers(ctx, "keep", strings.Repeat("u", 256)) },
			"RemoveEmptyUser":      func() error { return s.RemoveGroupMembers(ctx, "keep", "") },
			"UserGroupsEmptyUser":  func() error { _, err := s.UserGroups(ctx, ""); return err },
			"UserGroupsControlChr": func() error { _, err := s.UserGroups(ctx, "a\nb"); return err },
		} {
			t.Run(name, func(t *testing.T) {
				err := call()
				require.ErrorIs(t, err, ErrInvalidValue)
				var ve *ValueError
				require.ErrorAs(t, err, &ve)
			})
		}
		members, err := s.GroupMembers(ctx, "keep")
		require.NoError(t, err)
		require.Equal(t, []string{"u1"}, members, "nothing was written")
		list, err := s.ListGroups(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)

		// Reading a sync group is fine.
		_, err = s.GroupMembers(ctx, "WAFFLE_beta")
		require.ErrorIs(t, err, ErrNotFound)

		// Cancelled contexts reach the database.
		require.ErrorIs(t, s.AddGroupMembers(cancelled(), "keep", "u9"), context.Canceled)
		require.ErrorIs(t, s.CreateGroup(cancelled(), "other"), context.Canceled)
		_, err = s.ListGroups(cancelled())
		require.ErrorIs(t, err, context.Canceled)
	})
}

// Concurrent writers of one group and one flag, from several stores (as
// several processes), all succeed and end with every row once.
func TestGroupsConcurrentWriters(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
		const writers = 6
		errs := make(chan error, 4*writers)
		var wg sync.WaitGroup
		for i := range writers {
			w := h.store(t, nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := "u" + strconv.Itoa(i)
				errs <- w.AddGroupMembers(ctx, "shared", id, "common")
				errs <- w.AddFlagGroups(ctx, "beta", "shared", "g"+strconv.Itoa(i))
				errs <- w.AddFlagUsers(ctx, "beta", id, "common")
				// Saves of one flag replace its lists whole: the last one wins.
				errs <- w.SaveFlag(ctx, &Flag{Name: "saved", Users: []string{id}, Groups: []string{"new", "g" + strconv.Itoa(i)}})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		members, err := s.GroupMembers(ctx, "shared")
		require.NoError(t, err)
		require.Len(t, members, writers+1)
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Len(t, f.Users, writers+1)
		require.Len(t, f.Groups, writers+1)
		saved, err := s.GetFlag(ctx, "saved")
		require.NoError(t, err)
		require.Len(t, saved.Users, 1, "one writer's list, not a mix")
		require.Equal(t, []string{"g" + saved.Users[0][1:], "new"}, saved.Groups)
	})
}
