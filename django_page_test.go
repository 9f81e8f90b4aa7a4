package waffle

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
)

// The admin's paged reads over rows Django wrote: users and group members
// are auth_user keys, paged in key order; flags are filtered, sorted and
// counted as in the default mode.
func TestDjangoPages(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		var users []map[string]any
		ids := []string{"1", "2", "3", "10", "11", "12", "21"}
		for _, id := range ids {
			users = append(users, map[string]any{"id": id, "groups": []string{"staff"}})
		}
		h.django.Run(t, "write", map[string]any{
			"users":  users,
			"groups": []string{"empty"},
			"flags": []map[string]any{
				{"name": "big", "users": ids, "percent": "12.5", "note": "n", "testing": true},
				{"name": "Beta", "everyone": true},
				{"name": "alpha", "everyone": false, "percent": "99.9"},
				{"name": "none"},
			},
		}, nil)
		s := h.s

		pages := func(page func(UserPage) (UserList, error), search string) ([][]string, int) {
			var out [][]string
			p := UserPage{Search: search, Limit: 2}
			for {
				l, err := page(p)
				require.NoError(t, err)
				out = append(out, l.Users)
				if !l.More {
					return out, l.Total
				}
				p.After = l.Users[len(l.Users)-1]
			}
		}
		flagUsers := func(p UserPage) (UserList, error) { return s.FlagUsers(ctx, "big", p) }
		members := func(p UserPage) (UserList, error) { return s.GroupMemberPage(ctx, "staff", p) }
		for _, page := range []func(UserPage) (UserList, error){flagUsers, members} {
			got, total := pages(page, "")
			require.Equal(t, [][]string{{"1", "2"}, {"3", "10"}, {"11", "12"}, {"21"}}, got, "key order")
			require.Equal(t, 7, total)
			got, total = pages(page, "1")
			require.Equal(t, [][]string{{"1", "10"}, {"11", "12"}, {"21"}}, got)
			require.Equal(t, 5, total)
		}
		l, err := s.FlagUsers(ctx, "none", UserPage{})
		require.NoError(t, err)
		require.Equal(t, UserList{Users: []string{}}, l)
		l, err = s.GroupMemberPage(ctx, "empty", UserPage{})
		require.NoError(t, err)
		require.Equal(t, UserList{Users: []string{}}, l)
		var nf *NotFoundError
		_, err = s.FlagUsers(ctx, "missing", UserPage{})
		require.ErrorAs(t, err, &nf)
		_, err = s.GroupMemberPage(ctx, "missing", UserPage{})
		require.ErrorAs(t, err, &nf)
		var ve *ValueError
		for _, after := range []string{"u1", "01", "-1", "1234567890123456789"} {
			_, err = s.FlagUsers(ctx, "big", UserPage{After: after})
			require.ErrorAs(t, err, &ve, after)
			require.Equal(t, "after", ve.Field)
			_, err = s.GroupMemberPage(ctx, "staff", UserPage{After: after})
			require.ErrorAs(t, err, &ve, after)
		}

		names := func(q FlagQuery) ([]string, int) {
			p, err := s.ListFlagPage(ctx, q)
			require.NoError(t, err)
			out := []string{}
			for _, f := range p.Flags {
				require.Nil(t, f.Ramp)
				require.Nil(t, f.Users)
				out = append(out, f.Name)
			}
			return out, p.Total
		}
		got, total := names(FlagQuery{})
		require.Equal(t, []string{"Beta", "alpha", "big", "none"}, got)
		require.Equal(t, 4, total)
		got, _ = names(FlagQuery{Sort: "percent", Desc: true})
		require.Equal(t, []string{"alpha", "big", "none", "Beta"}, got)
		got, total = names(FlagQuery{Percent: "yes", Limit: 1, Offset: 1})
		require.Equal(t, []string{"big"}, got)
		require.Equal(t, 2, total)
		got, _ = names(FlagQuery{Everyone: "unset", Testing: "no"})
		require.Equal(t, []string{"none"}, got)
		got, _ = names(FlagQuery{Search: "BET"})
		require.Equal(t, []string{"Beta"}, got)

		// Each row as GetFlag reads it (Django's created time included).
		p, err := s.ListFlagPage(ctx, FlagQuery{Search: "big"})
		require.NoError(t, err)
		require.Len(t, p.Flags, 1)
		want, err := s.GetFlag(ctx, "big")
		require.NoError(t, err)
		want.Users, want.Groups = nil, nil
		want.Created, want.Modified = want.Created.UTC(), want.Modified.UTC()
		require.Equal(t, *want, p.Flags[0])
		require.Equal(t, 12.5, *p.Flags[0].Percent)
		require.Equal(t, "n", p.Flags[0].Note)
		require.WithinDuration(t, time.Now(), p.Flags[0].Created, time.Hour)
	})
}

// SaveFlagRules in Django mode writes the flag's columns under Django's
// limits and keeps the users and groups Django listed; Django reads and
// validates the row.
func TestDjangoSaveFlagRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 17, 30, 15, 123456000, time.UTC)
	eachDjangoDB(t, djangotest.Options{}, &Config{Now: func() time.Time { return now }}, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{
			"users": []map[string]any{{"id": "4"}, {"id": "5"}},
			"flags": []map[string]any{{"name": "kept", "users": []string{"4", "5"}, "groups": []string{"beta"}}},
		}, nil)
		s := h.s
		f := &Flag{Name: "kept", Percent: ptr(33.3), Note: "rules only", Staff: true, Users: []string{"bogus"}}
		require.NoError(t, s.SaveFlagRules(ctx, f))
		require.NotZero(t, f.ID)
		require.True(t, f.Modified.Equal(now))
		require.NoError(t, s.SaveFlagRules(ctx, &Flag{Name: "fresh", Everyone: ptr(true), Languages: LanguageList{"en"}}))
		for _, bad := range []*Flag{
			{Name: "kept", Percent: ptr(100.0)},
			{Name: "kept", Percent: ptr(12.25)},
			{Name: "kept", Ramp: LinearRamp(now, now.Add(time.Hour), 0, 50)},
			{Name: strings.Repeat("x", 101)},
		} {
			var ve *ValueError
			require.ErrorAs(t, s.SaveFlagRules(ctx, bad), &ve, bad.Name)
		}

		r := h.read(t)
		require.Len(t, r.Flags, 2)
		fresh, kept := r.Flags[0], r.Flags[1]
		require.Equal(t, "fresh", fresh.Name)
		require.Empty(t, fresh.Error)
		require.True(t, *fresh.Everyone)
		require.Equal(t, "en", fresh.Languages)
		require.Equal(t, "2026-12-04T17:30:15.123456+00:00", fresh.Created)
		require.Empty(t, fresh.Users)
		require.Equal(t, "kept", kept.Name)
		require.Empty(t, kept.Error)
		require.Equal(t, "33.3", *kept.Percent)
		require.Equal(t, "rules only", kept.Note)
		require.True(t, kept.Staff)
		require.Equal(t, []string{"4", "5"}, kept.Users, "the users Django listed stay")
		require.Equal(t, []string{"beta"}, kept.Groups)
		require.Equal(t, "2026-12-04T17:30:15.123456+00:00", kept.Modified)

		on, err := s.FlagIsActive(WithUser(ctx, User{ID: strconv.Itoa(5)}), "kept")
		require.NoError(t, err)
		require.True(t, on)
	})
}
