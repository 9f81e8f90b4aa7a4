package waffle

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// FuzzMiddleware drives the middleware and a handler that evaluates flags
// with testing, percent (plain and rollout), override and languages, with
// random query strings, headers and cookies: never a panic, never a 5xx,
// and every Set-Cookie is well formed. It runs on SQLite (the evaluation
// code is the same on both databases; the database tests cover PostgreSQL).
func FuzzMiddleware(f *testing.F) {
	seeds := []struct{ query, header, value, cookie string }{
		{"", "", "", ""},
		{"dwft_t_f=1", "", "", ""},
		{"pf=1&pf=0&over=1", "Dwft-T-F", "1", "dwf_pf=True"},
		{"dwft_t_f=%zz&dwft_t_f=1;x", "dwft_t_f", "1", "dwft_t_f=True; dwft_t_f=False"},
		{"lang=de-at&dwft_caf%C3%A9=1", "Accept-Language", "fr", "dwf_~caf%C3%A9=True; dwf_pr=\"True\""},
		{"over=" + strings.Repeat("1", 3000), "Cookie", "dwf_pf=True", ";;=;dwf_pr=False;dwf_pr"},
		{"%00=%00&\xff=\xfe", "X", "\xff", "dwf_pf=\xff"},
	}
	for i, s := range seeds {
		f.Add(s.query, s.header, s.value, s.cookie, i%2 == 1)
	}

	db := testdb.New(f, testdb.SQLite)
	h := &harness{db: db}
	h.migrate(f)
	setup := h.store(f, nil)
	ctx := context.Background()
	for _, fl := range []Flag{
		{Name: "t_f", Testing: true},
		{Name: "pf", Percent: ptr(50.0)},
		{Name: "pr", Percent: ptr(30.0), Rollout: true},
		{Name: "over", Everyone: ptr(false)},
		{Name: "lang", Languages: LanguageList{"en", "fr", "de-at"}},
		{Name: "café", Testing: true, Percent: ptr(10.0)},
	} {
		require.NoError(f, setup.SaveFlag(ctx, &fl))
	}
	s := h.store(f, &Config{Override: true, Cookie: CookieConfig{SameSite: http.SameSiteLaxMode, HttpOnly: true}})
	names := []string{"t_f", "pf", "pr", "over", "lang", "café", "missing"}
	handler := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := WithLanguage(r.Context(), r.Header.Get("Accept-Language"))
		for _, name := range names {
			for range 2 { // twice: the memo answers the second time
				if _, err := s.FlagIsActive(ctx, name); err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
			}
		}
		_, _ = io.WriteString(w, "ok")
	}))

	f.Fuzz(func(t *testing.T, query, header, value, cookie string, dup bool) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = query
		if header != "" {
			r.Header[header] = []string{value}
		}
		if cookie != "" {
			r.Header.Add("Cookie", cookie)
		}
		if dup { // the same header and cookie sent twice
			if header != "" {
				r.Header[header] = append(r.Header[header], value)
			}
			r.Header.Add("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		require.Less(t, w.Code, 500, "query %q header %q=%q cookie %q: %s", query, header, value, cookie, w.Body.String())
		seen := map[string]bool{}
		for _, line := range w.Result().Header.Values("Set-Cookie") {
			requireWellFormedCookie(t, line)
			name, _, _ := strings.Cut(line, "=")
			require.False(t, seen[name], "cookie %s set twice", name)
			seen[name] = true
			require.Contains(t, line, "; HttpOnly")
			require.Contains(t, line, "; SameSite=Lax")
		}
	})
}
