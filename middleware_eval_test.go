package waffle

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

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
