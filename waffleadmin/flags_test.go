package waffleadmin

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

func ptr[T any](v T) *T { return &v }

// listed returns the flag names of a list page, in order.
func listed(body string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`<td class="name"><a href="[^"]*">([^<]*)</a>`).FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	return names
}

func TestFlagList(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		for _, f := range []waffle.Flag{
			{Name: "alpha", Everyone: ptr(true), Note: "first note", Languages: []string{"en", "fr"}},
			{Name: "beta", Everyone: ptr(false), Percent: ptr(25.0), Testing: true},
			{Name: "gamma", Percent: ptr(0.0), Superusers: true, Staff: true, Authenticated: true, Rollout: true},
			{Name: "Delta", Testing: true, Percent: ptr(90.0)},
		} {
			require.NoError(t, e.other.SaveFlag(ctx(), &f))
		}
		c := e.client(t, "alice")
		r := c.get("/flags")
		require.Equal(t, http.StatusOK, r.Status)
		for _, col := range []string{"Name", "Note", "Everyone", "Percent", "Testing", "Superusers", "Staff", "Authenticated", "Languages", "Rollout", "Created", "Modified"} {
			require.Contains(t, r.Body, ">"+col+"</a></th>")
		}
		require.Equal(t, []string{"Delta", "alpha", "beta", "gamma"}, listed(r.Body))
		require.Contains(t, r.Body, "first note")
		require.Contains(t, r.Body, "en, fr")
		require.Contains(t, r.Body, `<span class="tri on">on</span>`)

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=ALP", []string{"alpha"}},
			{"q=a", []string{"Delta", "alpha", "beta", "gamma"}},
			{"everyone=on", []string{"alpha"}},
			{"everyone=off", []string{"beta"}},
			{"everyone=unset", []string{"Delta", "gamma"}},
			{"testing=yes", []string{"Delta", "beta"}},
			{"testing=no", []string{"alpha", "gamma"}},
			{"percent=yes", []string{"Delta", "beta"}},
			{"percent=no", []string{"alpha", "gamma"}},
			{"testing=yes&percent=yes&everyone=unset", []string{"Delta"}},
			{"sort=name&dir=desc", []string{"gamma", "beta", "alpha", "Delta"}},
			{"sort=percent&dir=desc", []string{"Delta", "beta", "gamma", "alpha"}},
			{"sort=everyone", []string{"Delta", "gamma", "beta", "alpha"}},
			{"sort=superusers&dir=desc", []string{"gamma", "beta", "alpha", "Delta"}},
		} {
			require.Equal(t, tc.want, listed(c.get("/flags?"+tc.query).Body), tc.query)
		}
	})
}

func TestFlagListPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		for i := range 120 {
			require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: fmt.Sprintf("f%03d", i)}))
		}
		c := e.client(t, "alice")
		r := c.get("/flags")
		require.Len(t, listed(r.Body), 50)
		require.Contains(t, r.Body, "Page 1 of 3")
		require.Contains(t, r.Body, "120 flags")
		r = c.get("/flags?page=3")
		require.Equal(t, "f100", listed(r.Body)[0])
		require.Len(t, listed(r.Body), 20)
		require.Contains(t, r.Body, `rel="prev"`)
		require.NotContains(t, r.Body, `rel="next"`)
		require.Len(t, listed(c.get("/flags?page=99").Body), 20, "a page past the end shows the last")
		r = c.get("/flags?q=f11&page=1")
		require.Len(t, listed(r.Body), 10)
		require.NotContains(t, r.Body, "Page 1 of")
	})
}

// TestBulkActions runs django-waffle's four admin actions: each shows a
// confirmation page first and changes nothing until confirmed.
func TestBulkActions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		for _, n := range []string{"a", "b", "c"} {
			require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: n, Users: []string{"u-" + n}}))
		}
		c := e.client(t, "alice")
		everyone := func(name string) *bool {
			f, err := e.other.GetFlag(ctx(), name)
			require.NoError(t, err)
			return f.Everyone
		}
		for _, tc := range []struct {
			action string
			want   *bool
		}{{"on", ptr(true)}, {"off", ptr(false)}, {"unset", nil}} {
			r := c.post("/flags/bulk", url.Values{"action": {tc.action}, "name": {"a", "b"}})
			require.Equal(t, http.StatusOK, r.Status)
			require.Contains(t, r.Body, "This applies to 2 flags")
			require.Contains(t, r.Body, `<input type="hidden" name="confirm" value="yes">`)
			if tc.action == "on" {
				require.Nil(t, everyone("a"), "nothing changes before the confirmation")
			}
			p := c.follow(c.post("/flags/bulk", url.Values{"action": {tc.action}, "name": {"a", "b"}, "confirm": {"yes"}}))
			require.Contains(t, p.Body, "The action was applied.")
			require.Equal(t, tc.want, everyone("a"), tc.action)
			require.Equal(t, tc.want, everyone("b"), tc.action)
			require.Nil(t, everyone("c"))
		}
		f, err := e.other.GetFlag(ctx(), "a")
		require.NoError(t, err)
		require.Equal(t, []string{"u-a"}, f.Users, "bulk actions keep the users")

		r := c.post("/flags/bulk", url.Values{"action": {"delete"}, "name": {"a", "c"}})
		require.Contains(t, r.Body, "Yes, Delete")
		c.follow(c.post("/flags/bulk", url.Values{"action": {"delete"}, "name": {"a", "c"}, "confirm": {"yes"}}))
		flags, err := e.other.ListFlags(ctx())
		require.NoError(t, err)
		require.Len(t, flags, 1)
		require.Equal(t, "b", flags[0].Name)

		// A flag deleted meanwhile is skipped; the others change.
		c.follow(c.post("/flags/bulk", url.Values{"action": {"on"}, "name": {"gone", "b"}, "confirm": {"yes"}}))
		require.True(t, *everyone("b"))
		require.Equal(t, http.StatusBadRequest, c.post("/flags/bulk", url.Values{"action": {"on"}}).Status)
		require.Equal(t, http.StatusBadRequest, c.post("/flags/bulk", url.Values{"action": {"explode"}, "name": {"b"}}).Status)
	})
}

// TestFlagEdit creates a flag with every field and edits it, through the
// form, and checks what a second store reads.
func TestFlagEdit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		require.Contains(t, c.get("/flag/new").Body, `name="new" value="1"`)
		form := url.Values{"new": {"1"}, "name": {"checkout"}, "everyone": {"unset"}, "percent": {"12.5"},
			"testing": {"on"}, "superusers": {"on"}, "staff": {"on"}, "authenticated": {"on"}, "rollout": {"on"},
			"languages": {"en, fr,de-at"}, "note": {"the new checkout"},
			"ramp_mode": {"steps"}, "ramp_points": {"2026-01-01T00:00 10\n2026-02-01T12:30 50\n"}}
		p := c.follow(c.post("/flag/save", form))
		require.Contains(t, p.Body, "Saved.")
		f, err := e.other.GetFlag(ctx(), "checkout")
		require.NoError(t, err)
		require.Nil(t, f.Everyone)
		require.Equal(t, 12.5, *f.Percent)
		require.True(t, f.Testing && f.Superusers && f.Staff && f.Authenticated && f.Rollout)
		require.Equal(t, waffle.LanguageList{"en", "fr", "de-at"}, f.Languages)
		require.Equal(t, "the new checkout", f.Note)
		require.NotNil(t, f.Ramp)
		require.Equal(t, waffle.RampSteps, f.Ramp.Mode)
		require.Equal(t, []waffle.RampPoint{
			{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Percent: 10},
			{At: time.Date(2026, 2, 1, 12, 30, 0, 0, time.UTC), Percent: 50},
		}, f.Ramp.Points)
		require.Contains(t, p.Body, "2026-02-01T12:30 50")

		// Edit: clear everything.
		c.follow(c.post("/flag/save", url.Values{"name": {"checkout"}, "everyone": {"on"}, "percent": {""}, "ramp_mode": {"none"}}))
		f, err = e.other.GetFlag(ctx(), "checkout")
		require.NoError(t, err)
		require.True(t, *f.Everyone)
		require.Nil(t, f.Percent)
		require.Nil(t, f.Ramp)
		require.False(t, f.Testing || f.Superusers || f.Staff || f.Authenticated || f.Rollout)
		require.Empty(t, f.Languages)
		ok, err := e.other.FlagIsActive(ctx(), "checkout")
		require.NoError(t, err)
		require.True(t, ok)
	})
}

// TestFlagValidation checks that invalid input comes back beside its field,
// with what was typed kept, and writes nothing.
func TestFlagValidation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "taken", Users: []string{"u1"}}))
		c := e.client(t, "alice")
		for _, tc := range []struct {
			name   string
			form   url.Values
			field  string
			kept   string
			reason string
		}{
			{"empty name", url.Values{"new": {"1"}, "name": {""}, "note": {"kept note"}}, "name", "kept note", "must not be empty"},
			{"taken name", url.Values{"new": {"1"}, "name": {"taken"}}, "name", `value="taken"`, "exists already"},
			{"underscore", url.Values{"new": {"1"}, "name": {"_x"}, "languages": {"en, xx"}}, "name", "en, xx", "must not start"},
			{"percent", url.Values{"new": {"1"}, "name": {"p"}, "percent": {"150"}, "note": {"n1"}}, "percent", `value="150"`, "from 0 to 100"},
			{"not a number", url.Values{"new": {"1"}, "name": {"p"}, "percent": {"lots"}}, "percent", `value="lots"`, "from 0 to 100"},
			{"ramp", url.Values{"new": {"1"}, "name": {"p"}, "ramp_mode": {"linear"}, "ramp_points": {"tomorrow 5"}}, "ramp", "tomorrow 5", "Line 1"},
			{"ramp one point", url.Values{"new": {"1"}, "name": {"p"}, "ramp_mode": {"linear"}, "ramp_points": {"2026-01-01T00:00 5"}}, "ramp", "2026-01-01T00:00 5", "ramp"},
			{"edit percent", url.Values{"name": {"taken"}, "percent": {"-1"}, "note": {"edited"}}, "percent", "edited", "from 0 to 100"},
		} {
			r := c.post("/flag/save", tc.form)
			require.Equal(t, http.StatusBadRequest, r.Status, tc.name)
			require.Regexp(t, `class="field[^"]* invalid"`, r.Body, tc.name)
			require.Regexp(t, `(?s)`+tc.field+`.{0,900}class="error"[^>]*>[^<]*`+regexp.QuoteMeta(tc.reason), r.Body, tc.name)
			require.Contains(t, r.Body, tc.kept, tc.name)
		}
		flags, err := e.other.ListFlags(ctx())
		require.NoError(t, err)
		require.Len(t, flags, 1)
		require.Nil(t, flags[0].Percent)
		require.Equal(t, []string{"u1"}, flags[0].Users)
		require.Empty(t, flags[0].Note)
	})
}

func TestFlagUsersAndGroups(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "beta"}))
		c := e.client(t, "alice")
		p := c.follow(c.post("/flag/users", url.Values{"name": {"beta"}, "users": {"u1\nu2\r\n u3 ,u4"}}))
		require.Contains(t, p.Body, "Added.")
		f, err := e.other.GetFlag(ctx(), "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u1", "u2", "u3", "u4"}, f.Users)
		c.follow(c.post("/flag/users", url.Values{"name": {"beta"}, "op": {"remove"}, "user": {"u2", "u4"}}))
		c.follow(c.post("/flag/groups", url.Values{"name": {"beta"}, "groups": {"staff\nbeta-testers"}}))
		c.follow(c.post("/flag/groups", url.Values{"name": {"beta"}, "op": {"remove"}, "group": {"staff"}}))
		f, err = e.other.GetFlag(ctx(), "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u1", "u3"}, f.Users)
		require.Equal(t, []string{"beta-testers"}, f.Groups)

		ok, err := e.other.FlagIsActive(waffle.WithUser(ctx(), waffle.User{ID: "u3"}), "beta")
		require.NoError(t, err)
		require.True(t, ok)

		r := c.post("/flag/users", url.Values{"name": {"beta"}, "users": {"bad\x01id"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
		r = c.post("/flag/groups", url.Values{"name": {"beta"}, "groups": {"WAFFLE_beta"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
		r = c.post("/flag/users", url.Values{"name": {"missing"}, "users": {"u"}})
		require.Equal(t, http.StatusNotFound, r.Status)
	})
}

// TestFlagUserPages checks that a flag with many users shows one page of
// them at a time, searchable, with a next link.
func TestFlagUserPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		var ids []string
		for i := range 2000 {
			ids = append(ids, fmt.Sprintf("user-%05d", i))
		}
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "big", Users: ids}))
		c := e.client(t, "alice")
		r := c.get("/flag?name=big")
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, 50, strings.Count(r.Body, `name="user" value=`))
		require.Contains(t, r.Body, `<span class="count">2000</span>`)
		require.Contains(t, r.Body, "user-00049")
		require.NotContains(t, r.Body, "user-00050")
		require.Contains(t, r.Body, `href="/flag?after=user-00049&amp;name=big"`)
		r = c.get("/flag?name=big&after=user-00049")
		require.Contains(t, r.Body, "user-00050")
		require.Contains(t, r.Body, "user-00099")
		r = c.get("/flag?name=big&uq=0199")
		require.Equal(t, 11, strings.Count(r.Body, `name="user" value=`), "01990-01999 and 00199")
		require.Contains(t, r.Body, "11 matching")
	})
}

func TestFlagDelete(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "doomed"}))
		c := e.client(t, "alice")
		r := c.get("/flag/delete?name=doomed")
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, r.Body, "Delete this flag?")
		_, err := e.other.GetFlag(ctx(), "doomed")
		require.NoError(t, err, "the confirmation page deletes nothing")
		p := c.follow(c.post("/flag/delete", url.Values{"name": {"doomed"}}))
		require.Contains(t, p.Body, "Deleted.")
		_, err = e.other.GetFlag(ctx(), "doomed")
		require.Error(t, err)
		require.Equal(t, http.StatusNotFound, c.get("/flag/delete?name=doomed").Status)
		require.Equal(t, http.StatusNotFound, c.get("/flag?name=doomed").Status)
	})
}
