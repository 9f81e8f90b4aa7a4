package waffle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// ok is the guarded handler.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "guarded")
})

// serveGuard answers one request through guard (no middleware in front) on
// a real server.
func serveGuard(t *testing.T, guard func(http.Handler) http.Handler, req *http.Request) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(guard(okHandler))
	t.Cleanup(srv.Close)
	return send(t, srv, req)
}

// Guards for flags, switches and samples: 404 until active, 200 once
// active, the reverse with "!", and a 302 with RedirectTo.
func TestGuards(t *testing.T) {
	t.Parallel()
	type kind struct {
		name  string
		guard func(s *Store, name string, opts *GuardOptions) func(http.Handler) http.Handler
		set   func(t *testing.T, s *Store, name string, on bool)
	}
	kinds := []kind{
		{"Flag", (*Store).FlagRequired, func(t *testing.T, s *Store, name string, on bool) { setFlagEveryone(t, s, name, on) }},
		{"Switch", (*Store).SwitchRequired, func(t *testing.T, s *Store, name string, on bool) {
			require.NoError(t, s.SetSwitch(context.Background(), name, on))
		}},
		{"Sample", (*Store).SampleRequired, func(t *testing.T, s *Store, name string, on bool) {
			percent := 0.0
			if on {
				percent = 100
			}
			require.NoError(t, s.SetSample(context.Background(), name, percent))
		}},
	}
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				name := "guarded-" + k.name
				must := k.guard(s, name, nil)
				mustNot := k.guard(s, "!"+name, nil)
				redirect := k.guard(s, name, &GuardOptions{RedirectTo: "/waitlist?from=beta"})
				notFound := k.guard(s, name, &GuardOptions{NotFound: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusTeapot)
				})})

				// Missing: inactive (the defaults are false).
				resp, body := serveGuard(t, must, nil)
				require.Equal(t, http.StatusNotFound, resp.StatusCode)
				require.Equal(t, "404 page not found\n", body)
				resp, body = serveGuard(t, mustNot, nil)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.Equal(t, "guarded", body)

				for _, on := range []bool{false, true} {
					k.set(t, s, name, on)
					want, wantNot := http.StatusNotFound, http.StatusOK
					if on {
						want, wantNot = http.StatusOK, http.StatusNotFound
					}
					resp, _ = serveGuard(t, must, nil)
					require.Equal(t, want, resp.StatusCode, "on=%v", on)
					resp, _ = serveGuard(t, mustNot, nil)
					require.Equal(t, wantNot, resp.StatusCode, "!name, on=%v", on)

					resp, body = serveGuard(t, redirect, nil)
					if on {
						require.Equal(t, http.StatusOK, resp.StatusCode)
						require.Equal(t, "guarded", body)
					} else {
						require.Equal(t, http.StatusFound, resp.StatusCode)
						require.Equal(t, "/waitlist?from=beta", resp.Header.Get("Location"))
					}
					resp, _ = serveGuard(t, notFound, nil)
					require.Equal(t, map[bool]int{false: http.StatusTeapot, true: http.StatusOK}[on], resp.StatusCode)
				}
			})
		}
	})
}

// A flag guard sees the request (testing query) and sets the flag's cookies
// on its answer, with or without a middleware in front.
func TestFlagGuardRequestAndCookies(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, &Config{Now: fixedClock, Rand: fixedRand(0.9)})
		saveFlag(t, s, Flag{Name: "t_f", Testing: true})
		saveFlag(t, s, Flag{Name: "pf", Percent: ptr(50.0)})

		resp, body := serveGuard(t, s.FlagRequired("t_f", nil), get("/?dwft_t_f=1"))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "guarded", body)
		require.Equal(t, []string{"dwft_t_f=True; Path=/"}, resp.Header.Values("Set-Cookie"))

		// Turned away, the draw is still remembered.
		resp, _ = serveGuard(t, s.FlagRequired("pf", nil), nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		require.Equal(t, []string{"dwf_pf=False; Path=/; Expires=Mon, 21 Dec 2026 04:17:06 GMT; Max-Age=2592000; Secure"},
			resp.Header.Values("Set-Cookie"))

		// Behind the middleware: one cookie, not two.
		behind := func(next http.Handler) http.Handler { return s.Middleware(s.FlagRequired("pf", nil)(next)) }
		resp, _ = serveGuard(t, behind, get("/", "Cookie: dwf_pf=True"))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Len(t, resp.Header.Values("Set-Cookie"), 1)
	})
}

// A store error (database down, invalid name) is a 500 through ErrorFunc;
// the default logs the error and does not show it to the client.
func TestGuardErrors(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		var logs bytes.Buffer
		s := h.store(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		db, err := s.db.DB()
		require.NoError(t, err)
		require.NoError(t, db.Close()) // the database is "down"

		for _, guard := range []func(http.Handler) http.Handler{
			s.FlagRequired("beta", nil), s.SwitchRequired("!beta", nil), s.SampleRequired("beta", &GuardOptions{RedirectTo: "/x"}),
		} {
			logs.Reset()
			resp, body := serveGuard(t, guard, nil)
			require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			require.Equal(t, "Internal Server Error\n", body)
			require.NotContains(t, body, "closed")
			require.Contains(t, logs.String(), "waffle: guard check failed")
			require.Contains(t, logs.String(), "sql: database is closed")
		}

		var got error
		custom := s.FlagRequired("beta", &GuardOptions{ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		}})
		resp, body := serveGuard(t, custom, nil)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "maintenance\n", body)
		require.Error(t, got)

		// An invalid name is the store's *NameError, through the same path.
		good := h.store(t, nil)
		custom = good.SwitchRequired("!", &GuardOptions{ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(http.StatusInternalServerError)
		}})
		resp, _ = serveGuard(t, custom, nil)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		require.True(t, errors.Is(got, ErrInvalidName), "%v", got)
	})
}

// GuardTreatAsOff: a database error counts as off, logged once per interval.
func TestGuardTreatAsOff(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		var logs bytes.Buffer
		s := h.store(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		db, err := s.db.DB()
		require.NoError(t, err)
		require.NoError(t, db.Close()) // the database is "down"
		off := &GuardOptions{OnError: GuardTreatAsOff}

		resp, _ := serveGuard(t, s.FlagRequired("beta", off), nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		resp, body := serveGuard(t, s.SwitchRequired("!beta", off), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "negated: off passes")
		require.Equal(t, "guarded", body)
		resp, _ = serveGuard(t, s.SampleRequired("beta", &GuardOptions{OnError: GuardTreatAsOff, RedirectTo: "/x"}), nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		require.Contains(t, logs.String(), "sql: database is closed")

		// An invalid name is still an error.
		resp, _ = serveGuard(t, s.SwitchRequired("_bad", off), nil)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	})
}
