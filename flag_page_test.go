package waffle

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFlagUsersPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, c := h.countingStore(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Groups: []string{"staff"}}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "empty"}))
		var ids []string
		for i := range 250 {
			ids = append(ids, fmt.Sprintf("u%03d", i))
		}
		require.NoError(t, s.AddFlagUsers(ctx, "beta", ids...))

		var got []string
		after := ""
		for {
			c.Reset()
			page, err := s.FlagUsers(ctx, "beta", UserPage{After: after, Limit: 100})
			require.NoError(t, err)
			require.EqualValues(t, 1, c.Count(), "one statement per page")
			require.Equal(t, 250, page.Total)
			got = append(got, page.Users...)
			if !page.More {
				break
			}
			after = page.Users[len(page.Users)-1]
		}
		require.Equal(t, ids, got)

		page, err := s.FlagUsers(ctx, "beta", UserPage{Search: "u24"})
		require.NoError(t, err)
		require.Equal(t, []string{"u240", "u241", "u242", "u243", "u244", "u245", "u246", "u247", "u248", "u249"}, page.Users)
		require.Equal(t, 10, page.Total)
		require.False(t, page.More)

		page, err = s.FlagUsers(ctx, "empty", UserPage{})
		require.NoError(t, err)
		require.Empty(t, page.Users)
		require.Zero(t, page.Total)

		_, err = s.FlagUsers(ctx, "missing", UserPage{})
		var nf *NotFoundError
		require.True(t, errors.As(err, &nf))

		f, err := s.GetFlagRules(ctx, "beta")
		require.NoError(t, err)
		require.Nil(t, f.Users)
		require.Equal(t, []string{"staff"}, f.Groups)
		_, err = s.GetFlagRules(ctx, "missing")
		require.True(t, errors.As(err, &nf))

	})
}

func TestListFlagPage(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, c := h.countingStore(t, nil)
		on, off := true, false
		p := func(v float64) *float64 { return &v }
		for _, f := range []Flag{
			{Name: "alpha", Everyone: &on, Note: "b"},
			{Name: "Beta", Everyone: &off, Percent: p(25), Testing: true, Note: "a"},
			{Name: "gamma", Percent: p(0), Staff: true, Languages: LanguageList{"en"}},
			{Name: "delta", Testing: true, Percent: p(90), Ramp: LinearRamp(time.Now(), time.Now().Add(time.Hour), 0, 50)},
		} {
			require.NoError(t, s.SaveFlag(ctx, &f))
		}
		names := func(q FlagQuery) ([]string, int) {
			t.Helper()
			c.Reset()
			page, err := s.ListFlagPage(ctx, q)
			require.NoError(t, err)
			require.EqualValues(t, 1, c.Count())
			var out []string
			for _, f := range page.Flags {
				require.Nil(t, f.Users)
				out = append(out, f.Name)
			}
			return out, page.Total
		}
		for _, tc := range []struct {
			q     FlagQuery
			want  []string
			total int
		}{
			{FlagQuery{}, []string{"Beta", "alpha", "delta", "gamma"}, 4},
			{FlagQuery{Search: "A"}, []string{"Beta", "alpha", "delta", "gamma"}, 4},
			{FlagQuery{Search: "ALP"}, []string{"alpha"}, 1},
			{FlagQuery{Everyone: "on"}, []string{"alpha"}, 1},
			{FlagQuery{Everyone: "off"}, []string{"Beta"}, 1},
			{FlagQuery{Everyone: "unset"}, []string{"delta", "gamma"}, 2},
			{FlagQuery{Testing: "yes"}, []string{"Beta", "delta"}, 2},
			{FlagQuery{Testing: "no", Percent: "no"}, []string{"alpha", "gamma"}, 2},
			{FlagQuery{Percent: "yes"}, []string{"Beta", "delta"}, 2},
			{FlagQuery{Sort: "name", Desc: true}, []string{"gamma", "delta", "alpha", "Beta"}, 4},
			{FlagQuery{Sort: "percent", Desc: true}, []string{"delta", "Beta", "gamma", "alpha"}, 4},
			{FlagQuery{Sort: "everyone"}, []string{"delta", "gamma", "Beta", "alpha"}, 4},
			{FlagQuery{Sort: "note"}, []string{"delta", "gamma", "Beta", "alpha"}, 4},
			{FlagQuery{Sort: "staff", Desc: true}, []string{"gamma", "delta", "alpha", "Beta"}, 4},
			{FlagQuery{Sort: "modified", Desc: true, Limit: 1}, []string{"delta"}, 4},
			{FlagQuery{Limit: 2, Offset: 2}, []string{"delta", "gamma"}, 4},
			{FlagQuery{Offset: 10}, nil, 0},
		} {
			got, total := names(tc.q)
			require.Equal(t, tc.want, got, "%+v", tc.q)
			require.Equal(t, tc.total, total, "%+v", tc.q)
		}
		page, err := s.ListFlagPage(ctx, FlagQuery{Search: "delta"})
		require.NoError(t, err)
		require.NotNil(t, page.Flags[0].Ramp)
		require.Equal(t, 90.0, *page.Flags[0].Percent)
		page, err = s.ListFlagPage(ctx, FlagQuery{Search: "gamma"})
		require.NoError(t, err)
		require.Equal(t, LanguageList{"en"}, page.Flags[0].Languages)
		require.Nil(t, page.Flags[0].Everyone)
		require.Equal(t, time.UTC, page.Flags[0].Created.Location())

		for _, q := range []FlagQuery{{Sort: "id; DROP"}, {Everyone: "maybe"}, {Testing: "on"}, {Percent: "1"}} {
			_, err := s.ListFlagPage(ctx, q)
			var ve *ValueError
			require.ErrorAs(t, err, &ve, "%+v", q)
		}
	})
}

func TestSaveFlagRules(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := WithActor(context.Background(), "ops")
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Users: []string{"u1", "u2"}, Groups: []string{"g"}}))
		on, p := true, 12.5
		f := &Flag{Name: "beta", Everyone: &on, Percent: &p, Note: "n", Users: []string{"ignored"}}
		require.NoError(t, s.SaveFlagRules(ctx, f))
		require.NotZero(t, f.ID)
		got, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.True(t, *got.Everyone)
		require.Equal(t, 12.5, *got.Percent)
		require.Equal(t, "n", got.Note)
		require.Equal(t, []string{"u1", "u2"}, got.Users)
		require.Equal(t, []string{"g"}, got.Groups)

		require.NoError(t, s.SaveFlagRules(ctx, &Flag{Name: "fresh", Testing: true}))
		got, err = s.GetFlag(ctx, "fresh")
		require.NoError(t, err)
		require.True(t, got.Testing)
		require.Empty(t, got.Users)

		entries, err := s.History(ctx, HistoryFilter{Kind: "flag", Name: "beta"})
		require.NoError(t, err)
		require.Equal(t, "ops", entries[0].Actor)
		require.Contains(t, string(entries[0].After), `"everyone":true`)
		require.NotContains(t, string(entries[0].After), "users")
		require.NotContains(t, string(entries[0].Before), "users")

		bad := 150.0
		var ve *ValueError
		require.ErrorAs(t, s.SaveFlagRules(ctx, &Flag{Name: "beta", Percent: &bad}), &ve)
	})
}

func TestGroupMemberPage(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, c := h.countingStore(t, nil)
		var ids []string
		for i := range 120 {
			ids = append(ids, fmt.Sprintf("m%03d", i))
		}
		require.NoError(t, s.AddGroupMembers(ctx, "staff", ids...))
		require.NoError(t, s.CreateGroup(ctx, "empty"))
		c.Reset()
		page, err := s.GroupMemberPage(ctx, "staff", UserPage{Limit: 50})
		require.NoError(t, err)
		require.EqualValues(t, 1, c.Count())
		require.Equal(t, ids[:50], page.Users)
		require.Equal(t, 120, page.Total)
		require.True(t, page.More)
		page, err = s.GroupMemberPage(ctx, "staff", UserPage{Limit: 50, After: "m099"})
		require.NoError(t, err)
		require.Equal(t, ids[100:], page.Users)
		require.False(t, page.More)
		page, err = s.GroupMemberPage(ctx, "staff", UserPage{Search: "m11"})
		require.NoError(t, err)
		require.Equal(t, 10, page.Total)

		// A sync group's members come from the sync.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
		_, err = s.AddWindow(ctx, FlagMember{Flag: "beta", User: "w1"})
		require.NoError(t, err)
		_, err = s.SyncMembership(ctx, "beta")
		require.NoError(t, err)
		page, err = s.GroupMemberPage(ctx, SyncGroupName("beta"), UserPage{})
		require.NoError(t, err)
		require.Equal(t, []string{"w1"}, page.Users)

		page, err = s.GroupMemberPage(ctx, "empty", UserPage{})
		require.NoError(t, err)
		require.Empty(t, page.Users)
		_, err = s.GroupMemberPage(ctx, "missing", UserPage{})
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "group", nf.Kind)
	})
}
