package waffle

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// fixedNow is the clock of the HTTP tests: Expires attributes are then
// exact (30 days later is Mon, 21 Dec 2026 04:17:06 GMT, upstream's example).
var fixedNow = time.Date(2026, 11, 21, 4, 17, 6, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

// decide is a handler body that records decisions the way evaluation does,
// so the middleware's cookie writing is tested on its own.
type decision struct {
	flag            string
	active, rollout bool
	testing         bool // a testing decision (dwft_) instead of a percent one
	fromCookie      bool // a percent decision read from the request's cookie
}

func decide(r *http.Request, ds ...decision) {
	st := requestStateFrom(r.Context())
	for _, d := range ds {
		switch {
		case d.testing:
			st.recordTest(d.flag, d.active)
		case d.fromCookie:
			st.recordPercentCookie(d.flag, d.active, d.rollout)
		default:
			st.recordPercent(d.flag, d.active, d.rollout)
		}
	}
}

// noRedirects returns srv's own client, which does not follow redirects.
// The server's client, rather than one on http.DefaultTransport: every
// httptest.Server.Close closes the idle connections of http.DefaultTransport,
// which can break a request of a test running beside it ("http:
// CloseIdleConnections called").
func noRedirects(srv *httptest.Server) *http.Client {
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// roundTrip serves h behind s.Middleware on a real server and returns the
// response (body read and closed) and its body.
func roundTrip(t *testing.T, s *Store, h http.Handler, req *http.Request) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(s.Middleware(h))
	t.Cleanup(srv.Close)
	return send(t, srv, req)
}

// send sends a copy of req (GET / when nil) to srv without following
// redirects and returns the response (body read and closed) and its body.
// req itself is left untouched: test tables share their requests between
// the databases' subtests, which run in parallel.
func send(t *testing.T, srv *httptest.Server, req *http.Request) (*http.Response, string) {
	t.Helper()
	if req == nil {
		req = get("/")
	}
	out, err := http.NewRequestWithContext(t.Context(), req.Method, srv.URL+req.URL.RequestURI(), nil)
	require.NoError(t, err)
	out.Header = req.Header.Clone()
	resp, err := noRedirects(srv).Do(out)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp, string(body)
}

func TestMiddlewareCookieAttributes(t *testing.T) {
	t.Parallel()
	const expires = "Expires=Mon, 21 Dec 2026 04:17:06 GMT"
	decisions := []decision{
		{flag: "on", active: true},
		{flag: "off", active: false},
		{flag: "ron", active: true, rollout: true},
		{flag: "roff", active: false, rollout: true},
		{flag: "ton", active: true, testing: true},
		{flag: "toff", active: false, testing: true},
	}
	tests := []struct {
		name   string
		cookie CookieConfig
		want   []string
	}{
		{
			name:   "Defaults",
			cookie: CookieConfig{},
			want: []string{
				"dwf_off=False; Path=/; " + expires + "; Max-Age=2592000; Secure",
				"dwf_on=True; Path=/; " + expires + "; Max-Age=2592000; Secure",
				"dwf_roff=False; Path=/; Secure",
				"dwf_ron=True; Path=/; " + expires + "; Max-Age=2592000; Secure",
				"dwft_toff=False; Path=/",
				"dwft_ton=True; Path=/",
			},
		},
		{
			name: "EveryAttribute",
			cookie: CookieConfig{
				Domain: "example.com", HttpOnly: true, Insecure: true, MaxAge: time.Hour,
				NameFormat: "pct-%s", Path: "/app", SameSite: http.SameSiteLaxMode, TestNameFormat: "tst-%s",
			},
			want: []string{
				"pct-off=False; Path=/app; Domain=example.com; Expires=Sat, 21 Nov 2026 05:17:06 GMT; Max-Age=3600; HttpOnly; SameSite=Lax",
				"pct-on=True; Path=/app; Domain=example.com; Expires=Sat, 21 Nov 2026 05:17:06 GMT; Max-Age=3600; HttpOnly; SameSite=Lax",
				"pct-roff=False; Path=/app; Domain=example.com; HttpOnly; SameSite=Lax",
				"pct-ron=True; Path=/app; Domain=example.com; Expires=Sat, 21 Nov 2026 05:17:06 GMT; Max-Age=3600; HttpOnly; SameSite=Lax",
				"tst-toff=False; Path=/app; Domain=example.com; HttpOnly; SameSite=Lax",
				"tst-ton=True; Path=/app; Domain=example.com; HttpOnly; SameSite=Lax",
			},
		},
		{
			name:   "SameSiteNone",
			cookie: CookieConfig{SameSite: http.SameSiteNoneMode, Domain: ".example.com"},
			want: []string{
				"dwf_off=False; Path=/; Domain=example.com; " + expires + "; Max-Age=2592000; Secure; SameSite=None",
				"dwf_on=True; Path=/; Domain=example.com; " + expires + "; Max-Age=2592000; Secure; SameSite=None",
				"dwf_roff=False; Path=/; Domain=example.com; Secure; SameSite=None",
				"dwf_ron=True; Path=/; Domain=example.com; " + expires + "; Max-Age=2592000; Secure; SameSite=None",
				"dwft_toff=False; Path=/; Domain=example.com; SameSite=None",
				"dwft_ton=True; Path=/; Domain=example.com; SameSite=None",
			},
		},
		{
			name:   "SecureStrictSubSecondAge",
			cookie: CookieConfig{MaxAge: 1500 * time.Millisecond, SameSite: http.SameSiteStrictMode},
			want: []string{
				"dwf_off=False; Path=/; Expires=Sat, 21 Nov 2026 04:17:07 GMT; Max-Age=2; Secure; SameSite=Strict",
				"dwf_on=True; Path=/; Expires=Sat, 21 Nov 2026 04:17:07 GMT; Max-Age=2; Secure; SameSite=Strict",
				"dwf_roff=False; Path=/; Secure; SameSite=Strict",
				"dwf_ron=True; Path=/; Expires=Sat, 21 Nov 2026 04:17:07 GMT; Max-Age=2; Secure; SameSite=Strict",
				"dwft_toff=False; Path=/; SameSite=Strict",
				"dwft_ton=True; Path=/; SameSite=Strict",
			},
		},
	}
	eachDB(t, func(t *testing.T, h *harness) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := h.store(t, &Config{Cookie: tt.cookie, Now: fixedClock})
				resp, _ := roundTrip(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					decide(r, decisions...)
				}), nil)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.Equal(t, tt.want, resp.Header.Values("Set-Cookie"))
			})
		}
	})
}

// Every way a handler can send the header gets the cookies; a decision taken
// after the header went out cannot (documented), and the body is intact.
func TestMiddlewareSendsCookiesWithTheHeader(t *testing.T) {
	t.Parallel()
	on := decision{flag: "f", active: true}
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantBody string
		want     int // Set-Cookie headers expected
	}{
		{"WritesNothing", func(w http.ResponseWriter, r *http.Request) { decide(r, on) }, "", 1},
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) {
			decide(r, on)
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "accepted")
		}, "accepted", 1},
		{"BodyBeforeHeader", func(w http.ResponseWriter, r *http.Request) {
			decide(r, on)
			_, _ = io.WriteString(w, "body")
		}, "body", 1},
		{"FlusherAssertion", func(w http.ResponseWriter, r *http.Request) {
			decide(r, on)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "flushed")
		}, "flushed", 1},
		{"ResponseControllerFlush", func(w http.ResponseWriter, r *http.Request) {
			decide(r, on)
			if err := http.NewResponseController(w).Flush(); err != nil {
				panic(err)
			}
			_, _ = io.WriteString(w, "rc")
		}, "rc", 1},
		{"ReadFrom", func(w http.ResponseWriter, r *http.Request) {
			decide(r, on)
			_, _ = io.Copy(w, strings.NewReader("copied"))
		}, "copied", 1},
		{"EarlyHintsFirst", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			decide(r, on)
			_, _ = io.WriteString(w, "hinted")
		}, "hinted", 1},
		{"DecidedAfterHeader", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "late")
			decide(r, on)
		}, "late", 0},
		{"SameFlagTwice", func(w http.ResponseWriter, r *http.Request) {
			decide(r, on, decision{flag: "f", active: true}, decision{flag: "t", active: true, testing: true},
				decision{flag: "t", active: false, testing: true})
		}, "", 2},
		{"NothingDecided", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "plain")
		}, "plain", 0},
	}
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, &Config{Now: fixedClock})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := roundTrip(t, s, tt.handler, nil)
				require.Less(t, resp.StatusCode, 300)
				require.Equal(t, tt.wantBody, body)
				got := resp.Header.Values("Set-Cookie")
				require.Len(t, got, tt.want, "%q", got)
				for _, c := range got {
					require.Regexp(t, `^dwft?_[ft]=(True|False); Path=/`, c)
				}
			})
		}
	})
}

// A flag evaluated twice sets one cookie, with the last decision.
func TestMiddlewareOneCookiePerFlag(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, &Config{Now: fixedClock, Cookie: CookieConfig{Insecure: true}})
		resp, _ := roundTrip(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			decide(r, decision{flag: "f", active: true}, decision{flag: "f", active: true})
		}), nil)
		require.Equal(t, []string{"dwf_f=True; Path=/; Expires=Mon, 21 Dec 2026 04:17:06 GMT; Max-Age=2592000"},
			resp.Header.Values("Set-Cookie"))
	})
}

// Nested middleware (a router and a subrouter) writes each cookie once.
func TestMiddlewareNested(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, &Config{Now: fixedClock})
		inner := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			decide(r, decision{flag: "f", active: true})
		}))
		resp, _ := roundTrip(t, s, inner, nil)
		require.Len(t, resp.Header.Values("Set-Cookie"), 1)
	})
}

// A hijacked connection (a WebSocket upgrade) gets no cookies from the
// middleware, whether the handler asserts http.Hijacker or uses
// http.ResponseController.
func TestMiddlewareHijack(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"Assertion", "ResponseController"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			eachDB(t, func(t *testing.T, h *harness) {
				s := h.store(t, nil)
				srv := httptest.NewServer(s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					decide(r, decision{flag: "f", active: true})
					var (
						conn interface{ Close() error }
						rw   *bufio.ReadWriter
						err  error
					)
					if how == "Assertion" {
						conn, rw, err = w.(http.Hijacker).Hijack()
					} else {
						conn, rw, err = http.NewResponseController(w).Hijack()
					}
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					defer conn.Close()
					_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
					_ = rw.Flush()
				})))
				t.Cleanup(srv.Close)
				resp, err := srv.Client().Get(srv.URL)
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				require.Equal(t, "hijacked", string(body))
				require.Empty(t, resp.Header.Values("Set-Cookie"))
			})
		})
	}
}

// The wrapper reaches the server's writer through Unwrap.
func TestMiddlewareUnwrap(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		resp, body := roundTrip(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, "deadline set")
		}), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "deadline set", body)
	})
}

// evalHandler evaluates the flags named in the "flags" query parameter (a
// comma-separated list; repeated names are evaluated again) for the request,
// as the user in the "user" parameter when there is one, and writes
// "name=true|false" lines. An error is a 500 with the error.
func evalHandler(s *Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if id := r.URL.Query().Get("user"); id != "" {
			ctx = WithUser(ctx, User{ID: id})
		}
		var b strings.Builder
		for _, name := range strings.Split(r.URL.Query().Get("flags"), ",") {
			if name == "" {
				continue
			}
			on, err := s.FlagIsActive(ctx, name)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			b.WriteString(name + "=" + strconv.FormatBool(on) + "\n")
		}
		_, _ = io.WriteString(w, b.String())
	})
}

// get builds a GET request for path with the given header lines
// ("Cookie: a=b").
func get(path string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Add(k, v)
	}
	return r
}

// The percent and testing cookies of real evaluations, on the raw
// Set-Cookie header: draws, rollout, cookie refresh and normalisation,
// testing query and header, identified users, and flags not evaluated.
func TestMiddlewareEvaluationCookies(t *testing.T) {
	t.Parallel()
	const persist = "; Path=/; Expires=Mon, 21 Dec 2026 04:17:06 GMT; Max-Age=2592000; Secure"
	tests := []struct {
		name     string
		rand     float64
		req      *http.Request
		wantBody string
		want     []string
	}{
		{"DrawOn", 0.1, get("/?flags=pf"), "pf=true\n", []string{"dwf_pf=True" + persist}},
		{"DrawOff", 0.9, get("/?flags=pf"), "pf=false\n", []string{"dwf_pf=False" + persist}},
		{"RolloutDrawOn", 0.1, get("/?flags=pr"), "pr=true\n", []string{"dwf_pr=True" + persist}},
		{"RolloutDrawOffIsSession", 0.9, get("/?flags=pr"), "pr=false\n", []string{"dwf_pr=False; Path=/; Secure"}},
		{"CookieOnWinsAndSlides", 0.9, get("/?flags=pf", "Cookie: dwf_pf=True"), "pf=true\n", []string{"dwf_pf=True" + persist}},
		{"CookieOffWins", 0.1, get("/?flags=pf", "Cookie: dwf_pf=False"), "pf=false\n", []string{"dwf_pf=False" + persist}},
		{"GarbageCookieNormalised", 0.1, get("/?flags=pf", "Cookie: dwf_pf=garbage"), "pf=false\n", []string{"dwf_pf=False" + persist}},
		{"RolloutCookieOffStaysSession", 0.1, get("/?flags=pr", "Cookie: dwf_pr=False"), "pr=false\n", []string{"dwf_pr=False; Path=/; Secure"}},
		{"EvaluatedTwiceOneCookie", 0.1, get("/?flags=pf,pf,pf"), "pf=true\npf=true\npf=true\n", []string{"dwf_pf=True" + persist}},
		{"UnusedFlagCookieNotResent", 0.1, get("/?flags=", "Cookie: dwf_pf=True; dwft_t_f=True"), "", nil},
		{"IdentifiedUserNoCookie", 0.1, get("/?flags=pf&user=u1"), "", nil}, // body checked below
		{"TestingQueryOn", 0.9, get("/?flags=t_f&dwft_t_f=1"), "t_f=true\n", []string{"dwft_t_f=True; Path=/"}},
		{"TestingQueryOff", 0.9, get("/?flags=t_f&dwft_t_f=yes"), "t_f=false\n", []string{"dwft_t_f=False; Path=/"}},
		{"TestingHeaderOn", 0.9, get("/?flags=t_f", "DWFT-T-F: 1"), "t_f=true\n", []string{"dwft_t_f=True; Path=/"}},
		{"TestingQueryBeatsCookie", 0.9, get("/?flags=t_f&dwft_t_f=0", "Cookie: dwft_t_f=True"), "t_f=false\n", []string{"dwft_t_f=False; Path=/"}},
		{"TestingCookieReadNotResent", 0.9, get("/?flags=t_f", "Cookie: dwft_t_f=True"), "t_f=true\n", nil},
		// Spaces around a cookie's name and value are trimmed (RFC 6265
		// section 5.2, Django).
		{"TestingCookieSpaceBeforeValue", 0.9, get("/?flags=t_f", "Cookie: dwft_t_f= True"), "t_f=true\n", nil},
		{"TestingCookieSpacesAroundName", 0.9, get("/?flags=t_f", "Cookie: a=1;dwft_t_f =True ;b=2"), "t_f=true\n", nil},
		{"PercentCookieSpaceBeforeValue", 0.9, get("/?flags=pf", "Cookie: dwf_pf= True"), "pf=true\n", []string{"dwf_pf=True" + persist}},
		{"EveryoneNoCookie", 0.1, get("/?flags=on,off", "Cookie: dwf_on=False"), "on=true\noff=false\n", nil},
		{"MissingFlagNoCookie", 0.1, get("/?flags=missing&missing=1&dwft_missing=1"), "missing=false\n", nil},
		{"EncodedName", 0.1, get("/?flags=caf%C3%A9%20x"), "café x=true\n", []string{"dwf_~caf%C3%A9%20x=True" + persist}},
	}
	eachDB(t, func(t *testing.T, h *harness) {
		setup := h.store(t, nil)
		saveFlag(t, setup, Flag{Name: "pf", Percent: ptr(50.0)})
		saveFlag(t, setup, Flag{Name: "pr", Percent: ptr(50.0), Rollout: true})
		saveFlag(t, setup, Flag{Name: "t_f", Testing: true})
		saveFlag(t, setup, Flag{Name: "café x", Percent: ptr(50.0)})
		setFlagEveryone(t, setup, "on", true)
		setFlagEveryone(t, setup, "off", false)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := h.store(t, &Config{Now: fixedClock, Rand: fixedRand(tt.rand)})
				resp, body := roundTrip(t, s, evalHandler(s), tt.req)
				require.Equal(t, http.StatusOK, resp.StatusCode, body)
				if tt.name == "IdentifiedUserNoCookie" {
					require.Regexp(t, `^pf=(true|false)\n$`, body)
				} else {
					require.Equal(t, tt.wantBody, body)
				}
				require.Equal(t, tt.want, resp.Header.Values("Set-Cookie"))
			})
		}
	})
}

// Without the middleware, evaluation still works: no request input, a fresh
// draw for anonymous percent flags, no cookies, no panic.
func TestEvaluationWithoutMiddleware(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		setup := h.store(t, nil)
		saveFlag(t, setup, Flag{Name: "pf", Percent: ptr(50.0)})
		saveFlag(t, setup, Flag{Name: "t_f", Testing: true})
		setFlagEveryone(t, setup, "on", true)
		for _, tt := range []struct {
			rand float64
			path string
			want string
		}{
			{0.1, "/?flags=pf,on,t_f&dwft_t_f=1", "pf=true\non=true\nt_f=false\n"},
			{0.9, "/?flags=pf&dwf_pf=True", "pf=false\n"},
		} {
			s := h.store(t, &Config{Rand: fixedRand(tt.rand), Override: true})
			srv := httptest.NewServer(evalHandler(s))
			resp, body := send(t, srv, get(tt.path, "Cookie: dwf_pf=True; dwft_t_f=True"))
			srv.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, tt.want, body)
			require.Empty(t, resp.Header.Values("Set-Cookie"))
		}
	})
}

// Malformed, duplicated and oversized input counts as absent or off: never
// a 500, never a malformed cookie.
func TestMiddlewareBadInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("T", 5000)
	tests := []struct {
		name     string
		req      *http.Request
		wantBody string
	}{
		{"DuplicatedPercentCookie", get("/?flags=pf", "Cookie: dwf_pf=True; dwf_pf=True"), "pf=false\n"},
		{"DuplicatedCookieHeaders", get("/?flags=pf", "Cookie: dwf_pf=True", "Cookie: dwf_pf=True"), "pf=false\n"},
		{"OversizedCookie", get("/?flags=pf", "Cookie: dwf_pf="+long), "pf=false\n"},
		{"QuotedCookie", get("/?flags=pf", `Cookie: dwf_pf="True"`), "pf=true\n"},
		{"CookieWithoutValue", get("/?flags=pf", "Cookie: dwf_pf"), "pf=false\n"},
		{"GarbageCookieHeader", get("/?flags=pf", "Cookie: ;;;=;=x; dwf_pf==True; dwf_pf =True"), "pf=false\n"},
		{"DuplicatedTestingHeader", get("/?flags=t_f", "Dwft-T-F: 1", "dwft_t_f: 1"), "t_f=false\n"},
		{"OversizedTestingHeader", get("/?flags=t_f", "Dwft-T-F: "+long), "t_f=false\n"},
		{"BadQueryEscape", get("/?flags=t_f&dwft_t_f=%zz&dwft_t_f%=1"), "t_f=false\n"},
		{"OversizedQuery", get("/?flags=t_f&dwft_t_f=" + long), "t_f=false\n"},
		{"SemicolonQuery", get("/?flags=t_f&dwft_t_f=1;x=1"), "t_f=false\n"},
		{"OverrideNotOne", get("/?flags=on&on=true"), "on=false\n"},
		{"OverrideRepeatedLastWins", get("/?flags=off&off=0&off=1"), "off=true\n"},
	}
	eachDB(t, func(t *testing.T, h *harness) {
		setup := h.store(t, nil)
		saveFlag(t, setup, Flag{Name: "pf", Percent: ptr(50.0)})
		saveFlag(t, setup, Flag{Name: "t_f", Testing: true})
		setFlagEveryone(t, setup, "on", true)
		setFlagEveryone(t, setup, "off", false)
		s := h.store(t, &Config{Now: fixedClock, Rand: fixedRand(0.9), Override: true})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := roundTrip(t, s, evalHandler(s), tt.req)
				require.Equal(t, http.StatusOK, resp.StatusCode, body)
				require.Equal(t, tt.wantBody, body)
				for _, c := range resp.Header.Values("Set-Cookie") {
					requireWellFormedCookie(t, c)
				}
			})
		}
	})
}

// requireWellFormedCookie checks a Set-Cookie value: a token name, True or
// False, and only the attributes the middleware writes.
func requireWellFormedCookie(t testing.TB, line string) {
	t.Helper()
	require.Regexp(t, `^[!#$%&'*+\-.^_`+"`"+`|~0-9A-Za-z]+=(True|False)(; Path=[^;]*)?(; Domain=[^;]*)?(; Expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; Max-Age=\d+)?(; HttpOnly)?(; Secure)?(; SameSite=(Lax|Strict|None))?$`, line)
	c, err := http.ParseSetCookie(line)
	require.NoError(t, err, line)
	require.NoError(t, c.Valid(), line)
}

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

// A response sets at most Config.Cookie.MaxPerResponse cookies (50 by
// default): testing decisions first, then percent draws, then refreshes of
// cookies the request carried, each by name; written percent cookies first,
// then testing cookies, by name.
func TestMiddlewareCookieLimit(t *testing.T) {
	t.Parallel()
	var ds []decision
	for i := range 60 {
		ds = append(ds, decision{flag: fmt.Sprintf("d%02d", i), active: true})
	}
	for i := range 10 {
		ds = append(ds, decision{flag: fmt.Sprintf("c%02d", i), active: true, fromCookie: true})
	}
	for i := range 3 {
		ds = append(ds, decision{flag: fmt.Sprintf("t%d", i), active: true, testing: true})
	}
	names := func(prefix string, from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf(prefix, i))
		}
		return out
	}
	tests := []struct {
		name  string
		limit int
		want  []string // cookie names in header order
	}{
		{"Default50", 0, slices.Concat(names("dwf_d%02d", 0, 47), names("dwft_t%d", 0, 3))},
		{"DrawsBeforeRefreshes", 65, slices.Concat(names("dwf_c%02d", 0, 2), names("dwf_d%02d", 0, 60), names("dwft_t%d", 0, 3))},
		{"TestsFirst", 2, names("dwft_t%d", 0, 2)},
		{"One", 1, []string{"dwft_t0"}},
		{"NoLimit", -1, slices.Concat(names("dwf_c%02d", 0, 10), names("dwf_d%02d", 0, 60), names("dwft_t%d", 0, 3))},
		{"AboveTotal", 100, slices.Concat(names("dwf_c%02d", 0, 10), names("dwf_d%02d", 0, 60), names("dwft_t%d", 0, 3))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStoreNoDB(t, &Config{Now: fixedClock, Cookie: CookieConfig{MaxPerResponse: tt.limit}})
			for range 2 { // the same choice every time
				resp, _ := roundTrip(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					decide(r, ds...)
				}), nil)
				var got []string
				for _, c := range resp.Cookies() {
					got = append(got, c.Name)
				}
				require.Equal(t, tt.want, got)
			}
		})
	}
}

// With more percent flags than the limit, the flags left out are drawn again
// on the next request, whose cookies carry the ones sent: every flag gets
// its cookie within two requests, and a cookie once sent keeps its decision.
func TestMiddlewareCookieLimitNextRequest(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, &Config{Now: fixedClock, Rand: fixedRand(0.1), Cookie: CookieConfig{MaxPerResponse: 5}})
		percent := 50.0
		var flags []string
		for i := range 8 {
			name := fmt.Sprintf("p%d", i)
			flags = append(flags, name)
			saveFlag(t, s, Flag{Name: name, Percent: &percent})
		}
		target := "/?flags=" + strings.Join(flags, ",")
		resp, _ := roundTrip(t, s, evalHandler(s), get(target))
		var first []string
		var jar []string
		for _, c := range resp.Cookies() {
			first = append(first, c.Name)
			jar = append(jar, c.Name+"="+c.Value)
		}
		require.Equal(t, []string{"dwf_p0", "dwf_p1", "dwf_p2", "dwf_p3", "dwf_p4"}, first)

		resp, body := roundTrip(t, s, evalHandler(s), get(target, "Cookie: "+strings.Join(jar, "; ")))
		require.Equal(t, "p0=true\np1=true\np2=true\np3=true\np4=true\np5=true\np6=true\np7=true\n", body)
		var second []string
		for _, c := range resp.Cookies() {
			second = append(second, c.Name)
		}
		require.Equal(t, []string{"dwf_p0", "dwf_p1", "dwf_p5", "dwf_p6", "dwf_p7"}, second,
			"the three draws first, then refreshes by name")
	})
}
