package waffleadmin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// djangoFlags is what the test Django project's read command returns of
// the flags and groups, each flag checked with full_clean.
type djangoFlags struct {
	Flags []struct {
		Name       string   `json:"name"`
		Everyone   *bool    `json:"everyone"`
		Percent    *string  `json:"percent"`
		Testing    bool     `json:"testing"`
		Superusers bool     `json:"superusers"`
		Languages  string   `json:"languages"`
		Note       string   `json:"note"`
		Users      []string `json:"users"`
		Groups     []string `json:"groups"`
		Error      string   `json:"error"`
	} `json:"flags"`
	Switches []struct {
		Name   string `json:"name"`
		Active bool   `json:"active"`
		Error  string `json:"error"`
	} `json:"switches"`
	Groups []struct {
		Name  string   `json:"name"`
		Users []string `json:"users"`
	} `json:"groups"`
}

// TestDjangoAdmin runs the admin, over real HTTP, on a database Django
// migrated and wrote, with its store in Django mode: the flag list, a flag
// page with its users paged in auth_user key order, edits through the
// form (Django's limits beside their field), users and auth_groups added
// and removed, a group's members, switches; Django then reads every row
// the admin wrote and validates it.
func TestDjangoAdmin(t *testing.T) {
	t.Parallel()
	djangotest.Require(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		p := djangotest.New(t, db, djangotest.Options{})
		p.Migrate(t)
		cfg := &waffle.Config{Django: &waffle.DjangoConfig{}}
		s, err := waffle.New(db.Open(t), cfg)
		require.NoError(t, err)
		require.NoError(t, s.Migrate(context.Background()))

		var users []map[string]any
		var ids []string
		for i := 1; i <= 120; i++ {
			id := fmt.Sprint(i)
			ids = append(ids, id)
			users = append(users, map[string]any{"id": id, "groups": []string{"staff"}})
		}
		p.Run(t, "write", map[string]any{
			"users": users,
			"flags": []map[string]any{
				{"name": "big", "users": ids, "percent": "12.5", "groups": []string{"staff"}},
				{"name": "beta", "everyone": true, "note": "from Django"},
			},
			"switches": []map[string]any{{"name": "sw", "active": false}},
		}, nil)

		e := newEnvWith(t, db, "/admin", true, cfg)
		c := e.client(t, "alice")

		r := c.get("/flags")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Contains(t, r.Body, "big")
		require.Contains(t, r.Body, "from Django")

		// Users in key order, 50 a page, the next page after key 50.
		r = c.get("/flag?name=big")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Equal(t, 50, strings.Count(r.Body, `name="user" value=`))
		require.Contains(t, r.Body, `<span class="count">120</span>`)
		require.Contains(t, r.Body, `value="9"`)
		require.NotContains(t, r.Body, `value="100"`)
		require.Contains(t, r.Body, `href="/admin/flag?after=50&amp;name=big"`)
		r = c.get("/flag?name=big&after=50")
		require.Contains(t, r.Body, `value="51"`)
		require.Contains(t, r.Body, `value="100"`)
		r = c.get("/flag?name=big&uq=11")
		require.Equal(t, 11, strings.Count(r.Body, `name="user" value=`), "11 and 110-119")
		r = c.get("/flag?name=big&after=u9")
		require.Equal(t, http.StatusBadRequest, r.Status)

		// Edit the rules; Django's limits come back beside their field.
		form := url.Values{"name": {"big"}, "everyone": {"unset"}, "percent": {"33.3"}, "testing": {"on"},
			"languages": {"en, fr"}, "note": {"edited in Go"}, "ramp_mode": {"none"}}
		require.Contains(t, c.follow(c.post("/flag/save", form)).Body, "Saved.")
		for _, bad := range []string{"100", "12.25"} {
			form.Set("percent", bad)
			r = c.post("/flag/save", form)
			require.Equal(t, http.StatusBadRequest, r.Status, bad)
			require.Contains(t, r.Body, "Django mode", bad)
		}
		form = url.Values{"new": {"1"}, "name": {"made-in-go"}, "everyone": {"off"}, "superusers": {"on"}, "ramp_mode": {"none"}}
		require.Contains(t, c.follow(c.post("/flag/save", form)).Body, "Saved.")

		// Users and groups of a flag, a group's members.
		c.follow(c.post("/flag/users", url.Values{"name": {"beta"}, "users": {"7\n8, 9"}}))
		c.follow(c.post("/flag/users", url.Values{"name": {"beta"}, "op": {"remove"}, "user": {"8"}}))
		r = c.post("/flag/users", url.Values{"name": {"beta"}, "users": {"u1"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
		r = c.post("/flag/users", url.Values{"name": {"beta"}, "users": {"10\n999"}})
		require.Equal(t, http.StatusBadRequest, r.Status, "a key of no auth_user")
		require.Contains(t, r.Body, "no auth_user has the key")
		r = c.post("/group/members", url.Values{"name": {"staff"}, "users": {"999"}})
		require.Equal(t, http.StatusBadRequest, r.Status, "a key of no auth_user")
		c.follow(c.post("/flag/groups", url.Values{"name": {"beta"}, "groups": {"testers\nstaff"}}))
		c.follow(c.post("/flag/groups", url.Values{"name": {"big"}, "op": {"remove"}, "group": {"staff"}}))
		c.follow(c.post("/group/members", url.Values{"name": {"testers"}, "users": {"3\n30"}}))
		r = c.get("/group?name=staff")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Contains(t, r.Body, `<span class="count">120</span>`)
		r = c.get("/group?name=testers")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Equal(t, 2, strings.Count(r.Body, `name="user" value=`), r.Body)
		require.Contains(t, c.get("/groups").Body, "testers")
		c.follow(c.post("/switch/set", url.Values{"name": {"sw"}, "active": {"on"}}))

		// What the admin wrote, as Django reads it.
		var got djangoFlags
		p.Run(t, "read", struct{}{}, &got)
		flags := map[string]int{}
		for i, f := range got.Flags {
			require.Empty(t, f.Error, f.Name)
			flags[f.Name] = i
		}
		big := got.Flags[flags["big"]]
		require.Equal(t, "33.3", *big.Percent)
		require.True(t, big.Testing)
		require.Equal(t, "en,fr", big.Languages)
		require.Equal(t, "edited in Go", big.Note)
		require.Len(t, big.Users, 120, "the rules' save keeps the users")
		require.Empty(t, big.Groups)
		beta := got.Flags[flags["beta"]]
		require.Equal(t, []string{"7", "9"}, beta.Users)
		require.Equal(t, []string{"staff", "testers"}, beta.Groups)
		made := got.Flags[flags["made-in-go"]]
		require.False(t, *made.Everyone)
		require.True(t, made.Superusers)
		for _, g := range got.Groups {
			if g.Name == "testers" {
				require.Equal(t, []string{"3", "30"}, g.Users)
			}
		}
		require.Len(t, got.Switches, 1)
		require.True(t, got.Switches[0].Active)
		require.Empty(t, got.Switches[0].Error)
	})
}
