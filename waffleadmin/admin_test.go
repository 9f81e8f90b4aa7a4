package waffleadmin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

func TestNewRequiresAuthorize(t *testing.T) {
	t.Parallel()
	s, err := waffle.New(testdb.New(t, testdb.SQLite).Open(t), nil)
	require.NoError(t, err)
	h, err := New(s, Config{})
	require.ErrorIs(t, err, ErrNoAuthorize)
	require.Nil(t, h)
	_, err = New(nil, Config{Authorize: func(*http.Request) (string, Permission, error) { return "a", Edit, nil }})
	require.Error(t, err)
}

// TestMount checks every way of mounting: at the root, under a prefix with
// http.StripPrefix, and under a prefix with the mux pattern alone. Links,
// form actions and redirects stay under the mount.
func TestMount(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		for _, tc := range []struct {
			name, prefix string
			strip        bool
		}{
			{"root", "", false},
			{"strip", "/admin/flags", true},
			{"pattern", "/ops/waffle", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, db, tc.prefix, tc.strip)
				c := e.client(t, "alice")
				r := c.get("/")
				require.Equal(t, http.StatusSeeOther, r.Status)
				require.Equal(t, tc.prefix+"/flags", r.Location)
				r = c.get("/flags")
				require.Equal(t, http.StatusOK, r.Status, r.Body)
				require.Contains(t, r.Body, `href="`+tc.prefix+`/static/admin.css"`)
				require.Contains(t, r.Body, `action="`+tc.prefix+`/flags/bulk"`)
				require.Equal(t, http.StatusOK, c.get("/static/admin.css").Status)

				name := "mount-" + tc.name
				p := c.follow(c.post("/flag/save", url.Values{"new": {"1"}, "name": {name}, "everyone": {"on"}}))
				require.Equal(t, http.StatusOK, p.Status)
				require.Contains(t, p.Body, `action="`+tc.prefix+`/flag/users"`)
				f, err := e.other.GetFlag(ctx(), name)
				require.NoError(t, err)
				require.True(t, *f.Everyone)
				require.Equal(t, http.StatusNotFound, c.get("/nope").Status)
			})
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		for _, user := range []string{"alice", "nobody"} {
			for _, path := range []string{"/flags", "/static/admin.css", "/nope"} {
				r := e.client(t, user).get(path)
				csp := r.Header.Get("Content-Security-Policy")
				require.Contains(t, csp, "frame-ancestors 'none'", path)
				require.Contains(t, csp, "default-src 'none'")
				require.NotContains(t, csp, "unsafe-inline")
				require.NotContains(t, csp, "unsafe-eval")
				require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
				require.Equal(t, "DENY", r.Header.Get("X-Frame-Options"))
			}
		}
		// No inline style or script anywhere: the CSP would block it.
		c := e.client(t, "alice")
		for _, path := range []string{"/flags", "/flag/new", "/switches", "/samples", "/strings", "/groups", "/windows", "/window", "/history"} {
			body := c.get(path).Body
			require.NotContains(t, body, "style=", path)
			require.NotContains(t, body, "<style", path)
			require.NotRegexp(t, `<script>|<script [^s]*>|onclick=|onload=|onchange=`, body, path)
		}
	})
}

// TestAuthorize checks that the hook runs on every request: without an
// actor nothing is served, static files included, and nothing is written.
func TestAuthorize(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "/admin", true)
		alice := e.client(t, "alice")
		alice.get("/flags")
		stranger := e.client(t, "mallory")
		for _, path := range []string{"/", "/flags", "/flag/new", "/switches", "/history", "/static/admin.css", "/strings/export"} {
			r := stranger.get(path)
			require.Equal(t, http.StatusForbidden, r.Status, path)
			require.Contains(t, r.Body, "not allowed")
		}
		// Even with a valid token taken from alice's session.
		stranger.http.Jar = alice.http.Jar
		r := stranger.post("/switch/set", url.Values{"name": {"s"}, "active": {"on"}, "token": {alice.token}})
		require.Equal(t, http.StatusForbidden, r.Status)
		_, err := e.other.GetSwitch(ctx(), "s")
		require.Error(t, err, "nothing was written")
	})
}

// TestViewOnly checks that a view-only actor sees every page without edit
// controls and that every POST it sends is refused with 403.
func TestViewOnly(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "beta", Users: []string{"u1"}, Groups: []string{"g"}}))
		require.NoError(t, e.other.SetSwitch(ctx(), "sw", true))
		require.NoError(t, e.other.SetSample(ctx(), "sa", 5))
		require.NoError(t, e.other.Set(ctx(), "st", "v"))
		_, err := e.other.AddWindow(ctx(), waffle.FlagMember{Flag: "beta", User: "u2"})
		require.NoError(t, err)
		v := e.client(t, "victor")
		for _, path := range []string{"/flags", "/flag?name=beta", "/switches", "/samples", "/strings", "/groups", "/group?name=g", "/windows", "/windows?flag=beta", "/history"} {
			r := v.get(path)
			require.Equal(t, http.StatusOK, r.Status, path)
			require.NotContains(t, r.Body, `method="post"`, path)
			require.NotContains(t, r.Body, `type="checkbox" name="name"`, path)
			require.Contains(t, r.Body, "view only")
		}
		before := e.counter.Count()
		_ = before
		for _, tc := range []struct {
			path string
			form url.Values
		}{
			{"/switch/set", url.Values{"name": {"sw"}}},
			{"/switch/delete", url.Values{"name": {"sw"}, "confirm": {"yes"}}},
			{"/sample/set", url.Values{"name": {"sa"}, "percent": {"50"}}},
			{"/string/set", url.Values{"name": {"st"}, "value": {"w"}}},
			{"/flag/save", url.Values{"name": {"beta"}, "everyone": {"on"}}},
			{"/flag/delete", url.Values{"name": {"beta"}}},
			{"/flags/bulk", url.Values{"name": {"beta"}, "action": {"on"}, "confirm": {"yes"}}},
			{"/flag/users", url.Values{"name": {"beta"}, "users": {"x"}}},
			{"/flag/groups", url.Values{"name": {"beta"}, "groups": {"x"}}},
			{"/flag/sync", url.Values{"name": {"beta"}}},
			{"/group/create", url.Values{"name": {"new"}}},
			{"/group/members", url.Values{"name": {"g"}, "users": {"x"}}},
			{"/window/save", url.Values{"flag": {"beta"}, "user": {"u3"}}},
		} {
			r := v.post(tc.path, tc.form)
			require.Equal(t, http.StatusForbidden, r.Status, tc.path)
		}
		sw, err := e.other.GetSwitch(ctx(), "sw")
		require.NoError(t, err)
		require.True(t, sw.Active)
		f, err := e.other.GetFlag(ctx(), "beta")
		require.NoError(t, err)
		require.Nil(t, f.Everyone)
		require.Equal(t, []string{"u1"}, f.Users)
		ws, err := e.other.ListWindows(ctx(), waffle.WindowFilter{})
		require.NoError(t, err)
		require.Len(t, ws, 1)
		members, err := e.other.GroupMembers(ctx(), "g")
		require.NoError(t, err)
		require.Empty(t, members)
	})
}

// TestCrossSite checks both lines of defence: a cross-origin POST is refused
// by CrossOriginProtection, and a same-origin POST without this session's
// token is refused too. Neither writes anything.
func TestCrossSite(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "/admin", true)
		c := e.client(t, "alice")
		c.get("/flags")
		require.NotEmpty(t, c.token)

		send := func(form url.Values, headers map[string]string) resp {
			req, err := http.NewRequest(http.MethodPost, c.url("/switch/set"), strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			return c.do(req)
		}
		form := url.Values{"name": {"evil"}, "active": {"on"}, "token": {c.token}}
		for _, hd := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"},
			{"Origin": "https://evil.example"},
		} {
			r := send(form, hd)
			require.Equal(t, http.StatusForbidden, r.Status, hd)
			require.Contains(t, r.Body, "another site")
		}
		for name, f := range map[string]url.Values{
			"no token":    {"name": {"evil"}, "active": {"on"}},
			"wrong token": {"name": {"evil"}, "active": {"on"}, "token": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
		} {
			r := send(f, map[string]string{"Sec-Fetch-Site": "same-origin"})
			require.Equal(t, http.StatusForbidden, r.Status, name)
			require.Contains(t, r.Body, "expired")
		}
		// Another session's token is worth nothing in this one.
		other := e.client(t, "alice")
		other.get("/flags")
		require.NotEqual(t, c.token, other.token)
		r := send(url.Values{"name": {"evil"}, "active": {"on"}, "token": {other.token}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
		require.Equal(t, http.StatusForbidden, r.Status)
		// A GET never changes anything.
		require.GreaterOrEqual(t, c.get("/switch/set?name=evil&active=on").Status, 400)

		_, err := e.other.GetSwitch(ctx(), "evil")
		require.Error(t, err, "nothing was written")

		// The same request, same-origin with the token, works.
		r = send(form, map[string]string{"Sec-Fetch-Site": "same-origin"})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		_, err = e.other.GetSwitch(ctx(), "evil")
		require.NoError(t, err)
	})
}

// TestDatabaseError checks that a failing database gives a 500 page that
// shows no SQL, no driver message and no stack, and that the error is logged.
func TestDatabaseError(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "beta"}))
		require.NoError(t, db.Open(t).Exec("ALTER TABLE waffle_flag RENAME TO waffle_flag_gone").Error)
		c := e.client(t, "alice")
		for _, path := range []string{"/flags", "/flag?name=beta"} {
			r := c.get(path)
			require.Equal(t, http.StatusInternalServerError, r.Status, path)
			require.Contains(t, r.Body, "Something went wrong")
			for _, leak := range []string{"SELECT", "waffle_flag", "no such table", "does not exist", "goroutine", ".go:"} {
				require.NotContains(t, r.Body, leak, path)
			}
		}
		r := c.post("/flag/save", url.Values{"new": {"1"}, "name": {"gamma"}})
		require.Equal(t, http.StatusInternalServerError, r.Status)
		require.NotContains(t, r.Body, "waffle_flag")
		require.Contains(t, e.logs.String(), "waffleadmin: request failed")
		require.Contains(t, e.logs.String(), "waffle_flag")
	})
}
