package waffleadmin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// env is one test's admin: a migrated database, a store on it (counted),
// the admin mounted on a real HTTP server, and a browser-like client.
type env struct {
	db      *testdb.DB
	store   *waffle.Store // the admin's store, whose statements are counted
	counter *testdb.Counter
	other   *waffle.Store // a second store on the same database
	srv     *httptest.Server
	prefix  string // where the admin is mounted: "" or "/admin/flags"
	logs    *syncBuffer
	actors  map[string]Permission
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eachDB runs fn on SQLite and PostgreSQL, in parallel subtests.
func eachDB(t *testing.T, fn func(t *testing.T, db *testdb.DB)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		s, err := waffle.New(db.Open(t), nil)
		require.NoError(t, err)
		require.NoError(t, s.Migrate(context.Background()))
		fn(t, db)
	})
}

// newEnv mounts the admin at prefix ("" for the root) with StripPrefix, or,
// when strip is false, with the mux pattern alone.
func newEnv(t *testing.T, db *testdb.DB, prefix string, strip bool) *env {
	t.Helper()
	return newEnvWith(t, db, prefix, strip, nil)
}

// newEnvWith is newEnv with both stores configured by cfg.
func newEnvWith(t *testing.T, db *testdb.DB, prefix string, strip bool, cfg *waffle.Config) *env {
	t.Helper()
	gdb, c := db.OpenCounting(t)
	s, err := waffle.New(gdb, cfg)
	require.NoError(t, err)
	other, err := waffle.New(db.Open(t), cfg)
	require.NoError(t, err)
	e := &env{db: db, store: s, counter: c, other: other, prefix: prefix, logs: &syncBuffer{},
		actors: map[string]Permission{"alice": Edit, "victor": View}}
	h, err := New(s, Config{
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		Authorize: func(r *http.Request) (string, Permission, error) {
			u := r.Header.Get("X-Test-User")
			if p, ok := e.actors[u]; ok {
				return u, p, nil
			}
			return "", 0, errors.New("who are you")
		},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	switch {
	case prefix == "":
		mux.Handle("/", h)
	case strip:
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	default:
		mux.Handle(prefix+"/", h)
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// client is a browser: a cookie jar, a user, and the token of its session.
type client struct {
	t     *testing.T
	e     *env
	user  string
	http  *http.Client
	token string
}

func (e *env) client(t *testing.T, user string) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &client{t: t, e: e, user: user, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return c
}

// resp is an answer, its body read.
type resp struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	if c.user != "" {
		req.Header.Set("X-Test-User", c.user)
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return resp{Status: res.StatusCode, Body: string(b), Header: res.Header, Location: res.Header.Get("Location")}
}

func (c *client) url(path string) string { return c.e.srv.URL + c.e.prefix + path }

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// get fetches path under the admin and remembers the page's form token.
func (c *client) get(path string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.url(path), nil)
	require.NoError(c.t, err)
	r := c.do(req)
	if m := tokenRE.FindStringSubmatch(r.Body); m != nil {
		c.token = m[1]
	}
	return r
}

// post sends a same-origin form, with the session's token unless form has
// one; it loads the flag list first when no token is known yet.
func (c *client) post(path string, form url.Values) resp {
	c.t.Helper()
	if c.token == "" {
		c.get("/flag/new") // a page with forms that reads nothing
	}
	if _, ok := form["token"]; !ok {
		form.Set("token", c.token)
	}
	req, err := http.NewRequest(http.MethodPost, c.url(path), strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// upload posts a multipart form with one file.
func (c *client) upload(path, field, filename string, content []byte) resp {
	c.t.Helper()
	if c.token == "" {
		c.get("/flag/new") // a page with forms that reads nothing
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(c.t, mw.WriteField("token", c.token))
	fw, err := mw.CreateFormFile(field, filename)
	require.NoError(c.t, err)
	_, _ = fw.Write(content)
	require.NoError(c.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, c.url(path), &buf)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// mustSee asserts a 303 to the page of path, and returns that page.
func (c *client) follow(r resp) resp {
	c.t.Helper()
	require.Equal(c.t, http.StatusSeeOther, r.Status, r.Body)
	u, err := url.Parse(r.Location)
	require.NoError(c.t, err)
	require.True(c.t, strings.HasPrefix(u.Path, c.e.prefix+"/"), "redirect %q stays under the mount %q", r.Location, c.e.prefix)
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+r.Location, nil)
	require.NoError(c.t, err)
	return c.do(req)
}

func ctx() context.Context { return context.Background() }
