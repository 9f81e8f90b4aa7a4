package waffle

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/query"

	"github.com/gowaffle/waffle/internal/testdb"
)

// evalCase is one evaluation: a flag as stored, a request, and the answer
// with the decisions the middleware would turn into cookies.
type evalCase struct {
	name     string
	flag     Flag     // Name is set from the case name
	user     *User    // nil: no WithUser
	lang     string   // "": no WithLanguage
	query    string   // raw query; {f} is the flag name
	headers  []string // "Name: value" lines; {f} is the flag name
	override bool     // Config.Override
	noState  bool     // no middleware: no request state
	want     bool
	percent  *bool // the percent decision recorded, if any
	test     *bool // the testing decision recorded, if any
}

func TestFlagIsActiveOrder(t *testing.T) {
	t.Parallel()
	on, off := ptr(true), ptr(false)
	cases := []evalCase{
		// 2. Override.
		{name: "OverrideOn", flag: Flag{Everyone: off}, query: "{f}=1", override: true, want: true},
		{name: "OverrideTrueIsOff", flag: Flag{Everyone: on}, query: "{f}=true", override: true, want: false},
		{name: "OverrideEmptyIsOff", flag: Flag{Everyone: on}, query: "{f}", override: true, want: false},
		{name: "OverrideLastValueWins", flag: Flag{Everyone: on}, query: "{f}=1&{f}=0", override: true, want: false},
		{name: "OverrideLastValueWinsOn", flag: Flag{}, query: "{f}=0&{f}=1", override: true, want: true},
		{name: "OverrideDisabled", flag: Flag{Everyone: off}, query: "{f}=1", want: false},
		{name: "OverrideOtherParam", flag: Flag{Everyone: on}, query: "x{f}=0", override: true, want: true},
		{name: "OverrideBeatsTesting", flag: Flag{Testing: true}, query: "{f}=1&dwft_{f}=0", override: true, want: true},

		// 3. Everyone.
		{name: "EveryoneOn", flag: Flag{Everyone: on, Percent: ptr(50.0)}, headers: []string{"Cookie: dwf_{f}=False"}, want: true},
		{name: "EveryoneOffBeatsUser", flag: Flag{Everyone: off, Users: []string{"u1"}, Authenticated: true},
			user: &User{ID: "u1", Authenticated: true}, want: false},
		{name: "EveryoneOffBeatsPercentCookie", flag: Flag{Everyone: off, Percent: ptr(100.0)},
			headers: []string{"Cookie: dwf_{f}=True"}, want: false},
		{name: "EveryoneOffBeatsTesting", flag: Flag{Everyone: off, Testing: true}, query: "dwft_{f}=1", want: false},
		{name: "EveryoneOffBeatsLanguage", flag: Flag{Everyone: off, Languages: []string{"en"}}, lang: "en", want: false},

		// 4. Testing.
		{name: "TestingQueryOn", flag: Flag{Testing: true}, query: "dwft_{f}=1", want: true, test: on},
		{name: "TestingQueryYesIsOff", flag: Flag{Testing: true, Authenticated: true}, user: &User{Authenticated: true},
			query: "dwft_{f}=yes", want: false, test: off},
		{name: "TestingHeaderOn", flag: Flag{Testing: true}, headers: []string{"DWFT-{F}: 1"}, want: true, test: on},
		{name: "TestingHeaderZero", flag: Flag{Testing: true, Everyone: nil, Staff: true}, user: &User{Staff: true},
			headers: []string{"dwft-{f}: 0", "Cookie: dwft_{f}=True"}, want: false, test: off},
		{name: "TestingQueryBeatsHeader", flag: Flag{Testing: true}, query: "dwft_{f}=1", headers: []string{"DWFT-{F}: 0"}, want: true, test: on},
		{name: "TestingQueryBeatsCookie", flag: Flag{Testing: true}, query: "dwft_{f}=0",
			headers: []string{"Cookie: dwft_{f}=True"}, want: false, test: off},
		{name: "TestingCookieTrue", flag: Flag{Testing: true}, headers: []string{"Cookie: dwft_{f}=True"}, want: true},
		{name: "TestingCookieGarbageStops", flag: Flag{Testing: true, Authenticated: true}, user: &User{Authenticated: true},
			headers: []string{"Cookie: dwft_{f}=garbage"}, want: false},
		{name: "TestingCookieDuplicatedIsAbsent", flag: Flag{Testing: true, Authenticated: true}, user: &User{Authenticated: true},
			headers: []string{"Cookie: dwft_{f}=False; dwft_{f}=False"}, want: true},
		{name: "TestingDisabled", flag: Flag{Testing: false}, query: "dwft_{f}=1", headers: []string{"DWFT-{F}: 1", "Cookie: dwft_{f}=True"}, want: false},
		{name: "TestingNoInputContinues", flag: Flag{Testing: true, Staff: true}, user: &User{Staff: true}, want: true},
		{name: "TestingWithoutMiddleware", flag: Flag{Testing: true}, noState: true, want: false},

		// 5. Languages.
		{name: "LanguageListed", flag: Flag{Languages: []string{"en", "fr", "de-at"}}, lang: "de-at", want: true},
		{name: "LanguageCaseSensitive", flag: Flag{Languages: []string{"en", "fr"}}, lang: "EN", want: false},
		{name: "LanguageNoPrefix", flag: Flag{Languages: []string{"de-at"}}, lang: "de", want: false},
		{name: "LanguageNone", flag: Flag{Languages: []string{"en"}}, want: false},
		{name: "LanguageNeverOff", flag: Flag{Languages: []string{"en"}, Staff: true}, lang: "fr", user: &User{Staff: true}, want: true},

		// 6. User rules.
		{name: "AuthenticatedOn", flag: Flag{Authenticated: true}, user: &User{ID: "u", Authenticated: true}, want: true},
		{name: "AuthenticatedAnonymous", flag: Flag{Authenticated: true}, user: &User{}, want: false},
		{name: "AuthenticatedNoUser", flag: Flag{Authenticated: true}, want: false},
		{name: "StaffOn", flag: Flag{Staff: true}, user: &User{ID: "u", Staff: true}, want: true},
		{name: "StaffOff", flag: Flag{Staff: true}, user: &User{ID: "u", Authenticated: true, Superuser: true}, want: false},
		{name: "SuperusersOn", flag: Flag{Superusers: true}, user: &User{ID: "u", Superuser: true}, want: true},
		{name: "SuperusersDefaultOff", flag: Flag{}, user: &User{ID: "u", Superuser: true}, want: false},
		{name: "UserListed", flag: Flag{Users: []string{"u1", "u2"}}, user: &User{ID: "u2"}, want: true},
		{name: "UserNotListed", flag: Flag{Users: []string{"u1", "u2"}}, user: &User{ID: "u3"}, want: false},
		{name: "UserListedWithoutMiddleware", flag: Flag{Users: []string{"u1"}}, user: &User{ID: "u1"}, noState: true, want: true},
		{name: "GroupStoredMember", flag: Flag{Groups: []string{"staffers", "testers"}}, user: &User{ID: "member"}, want: true},
		{name: "GroupStoredNonMember", flag: Flag{Groups: []string{"staffers"}}, user: &User{ID: "stranger"}, want: false},
		{name: "GroupMemberOfUnlistedGroup", flag: Flag{Groups: []string{"staffers"}}, user: &User{ID: "outsider"}, want: false},
		{name: "GroupByName", flag: Flag{Groups: []string{"admins"}}, user: &User{ID: "u9", Groups: []string{"x", "admins"}}, want: true},
		{name: "GroupByNameAnonymous", flag: Flag{Groups: []string{"admins"}}, user: &User{Groups: []string{"admins"}}, want: true},
		{name: "GroupByNameNotListed", flag: Flag{Groups: []string{"admins"}}, user: &User{ID: "u9", Groups: []string{"testers", `a"b`, "\xff"}}, want: false},

		// 7. Percent.
		{name: "PercentZeroIgnoresCookie", flag: Flag{Percent: ptr(0.0)}, headers: []string{"Cookie: dwf_{f}=True"}, want: false},
		{name: "PercentUnsetIgnoresCookie", flag: Flag{}, headers: []string{"Cookie: dwf_{f}=True"}, want: false},
		{name: "Percent100Anonymous", flag: Flag{Percent: ptr(100.0)}, want: true, percent: on},
		{name: "Percent100User", flag: Flag{Percent: ptr(100.0)}, user: &User{ID: "u1"}, want: true},
		{name: "PercentCookieTrue", flag: Flag{Percent: ptr(0.1)}, headers: []string{"Cookie: dwf_{f}=True"}, want: true, percent: on},
		{name: "PercentCookieFalse", flag: Flag{Percent: ptr(99.9)}, headers: []string{"Cookie: dwf_{f}=False"}, want: false, percent: off},
		{name: "PercentCookieGarbage", flag: Flag{Percent: ptr(99.9)}, headers: []string{"Cookie: dwf_{f}=yes"}, want: false, percent: off},
		{name: "PercentCookieQuoted", flag: Flag{Percent: ptr(0.1)}, headers: []string{`Cookie: dwf_{f}="True"`}, want: true, percent: on},
		{name: "PercentCookieIgnoredForUser", flag: Flag{Percent: ptr(100.0)}, user: &User{ID: "u1"},
			headers: []string{"Cookie: dwf_{f}=False"}, want: true},
		{name: "PercentDrawOff", flag: Flag{Percent: ptr(49.9)}, want: false, percent: off}, // Rand is 0.5
		{name: "PercentDrawOn", flag: Flag{Percent: ptr(50.1)}, want: true, percent: on},
		{name: "PercentDrawWithoutMiddleware", flag: Flag{Percent: ptr(50.1)}, noState: true, want: true},
		{name: "PercentDuplicatedCookieRedraws", flag: Flag{Percent: ptr(50.1)},
			headers: []string{"Cookie: dwf_{f}=False; dwf_{f}=False"}, want: true, percent: on},

		// 8.
		{name: "NothingMatches", flag: Flag{}, user: &User{ID: "u1", Authenticated: true, Staff: true, Superuser: true}, lang: "en", want: false},
	}

	eachDB(t, func(t *testing.T, h *harness) {
		cases := append([]evalCase(nil), cases...)
		ctx := context.Background()
		half := func() float64 { return 0.5 }
		plain := h.store(t, &Config{Rand: half})
		withOverride := h.store(t, &Config{Override: true, Rand: half})
		require.NoError(t, plain.AddGroupMembers(ctx, "staffers", "member"))
		require.NoError(t, plain.AddGroupMembers(ctx, "testers", "member"))
		require.NoError(t, plain.AddGroupMembers(ctx, "others", "outsider"))
		for i := range cases {
			// The cases are shared with the other database's subtest, which
			// runs at the same time: SaveFlag writes through the pointers.
			f := &cases[i].flag
			if f.Percent != nil {
				f.Percent = ptr(*f.Percent)
			}
			f.Users, f.Groups, f.Languages = slices.Clone(f.Users), slices.Clone(f.Groups), slices.Clone(f.Languages)
			f.Name = strings.ToLower(cases[i].name)
			require.NoError(t, plain.SaveFlag(ctx, f), cases[i].name)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := plain
				if c.override {
					s = withOverride
				}
				got, st, cookies := evaluate(t, s, c, c.flag.Name)
				require.Equal(t, c.want, got)
				if st == nil {
					require.Empty(t, cookies)
					return
				}
				var want []string
				if c.percent != nil {
					want = append(want, s.percentCookieName(c.flag.Name)+"="+pyBool(*c.percent))
				}
				if c.test != nil {
					want = append(want, s.testCookieName(c.flag.Name)+"="+pyBool(*c.test))
				}
				var sent []string
				for _, ck := range cookies {
					nv, _, _ := strings.Cut(ck, ";")
					sent = append(sent, nv)
				}
				require.ElementsMatch(t, want, sent, "Set-Cookie: %q", cookies)
				d, ok := st.percent[c.flag.Name]
				if c.percent == nil {
					require.False(t, ok, "no percent decision recorded")
				} else {
					require.True(t, ok, "a percent decision is recorded")
					require.Equal(t, *c.percent, d.active)
					require.Equal(t, c.flag.Rollout, d.rollout)
				}
				tv, ok := st.tests[c.flag.Name]
				if c.test == nil {
					require.False(t, ok, "no test decision recorded")
				} else {
					require.True(t, ok, "a test decision is recorded")
					require.Equal(t, *c.test, tv)
				}
			})
		}
	})
}

// evaluate runs c against flag in a handler behind s.Middleware (or with no
// middleware for noState cases), with an httptest round trip, and returns the
// answer, the request state the handler saw and the Set-Cookie lines.
func evaluate(t *testing.T, s *Store, c evalCase, flag string) (bool, *requestState, []string) {
	t.Helper()
	expand := func(v string) string {
		v = strings.ReplaceAll(v, "{f}", flag)
		return strings.ReplaceAll(v, "{F}", strings.ToUpper(flag))
	}
	target := "/"
	if c.query != "" {
		target += "?" + expand(c.query)
	}
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, hl := range c.headers {
		k, v, _ := strings.Cut(expand(hl), ": ")
		r.Header[k] = append(r.Header[k], v) // as sent, not canonicalised
	}
	var (
		got bool
		st  *requestState
		err error
	)
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		st = requestStateFrom(ctx)
		if c.user != nil {
			ctx = WithUser(ctx, *c.user)
		}
		if c.lang != "" {
			ctx = WithLanguage(ctx, c.lang)
		}
		got, err = s.FlagIsActive(ctx, flag)
		_, _ = w.Write([]byte("ok"))
	})
	if !c.noState {
		h = s.Middleware(h)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rec.Code)
	if c.noState {
		require.Nil(t, st)
	} else {
		require.NotNil(t, st)
	}
	return got, st, rec.Result().Header.Values("Set-Cookie")
}

// The stored text "en, fr ,de-at" (as django-waffle's admin writes it)
// matches en, fr and de-at exactly.
func TestFlagLanguagesStoredText(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "intl"}))
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, rebind(s, "UPDATE waffle_flag SET languages = ? WHERE name = 'intl'"), "en, fr ,de-at")
		require.NoError(t, err)
		for lang, want := range map[string]bool{"en": true, "fr": true, "de-at": true, "EN": false, "de": false, "": false, " fr ": false, "en, fr": false} {
			on, err := s.FlagIsActive(WithLanguage(ctx, lang), "intl")
			require.NoError(t, err)
			require.Equal(t, want, on, "%q", lang)
		}
		f, err := s.GetFlag(ctx, "intl")
		require.NoError(t, err)
		require.Equal(t, LanguageList{"en", "fr", "de-at"}, f.Languages)
	})
}

func TestFlagMissing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		for _, def := range []bool{false, true} {
			t.Run(strconv.FormatBool(def), func(t *testing.T) {
				var logs bytes.Buffer
				s := h.store(t, &Config{
					FlagDefault: def, Override: true,
					LogMissingFlags: slog.LevelWarn,
					Logger:          slog.New(slog.NewTextHandler(&logs, nil)),
				})
				name := "ghost-" + strconv.FormatBool(def)
				c := evalCase{query: "{f}=1&dwft_{f}=1", headers: []string{"Cookie: dwf_{f}=True; dwft_{f}=True", "Dwft-{f}: 1"}}
				on, _, cookies := evaluate(t, s, c, name)
				require.Equal(t, def, on, "FlagDefault; override and testing not consulted")
				require.Empty(t, cookies, "no cookie for a missing flag")
				require.Contains(t, logs.String(), "level=WARN")
				require.Contains(t, logs.String(), "name="+name)
				_, err := s.GetFlag(ctx, name)
				require.ErrorIs(t, err, ErrNotFound, "not created by default")

				creating := h.store(t, &Config{FlagDefault: def, CreateMissingFlags: true})
				on, err = creating.FlagIsActive(ctx, name)
				require.NoError(t, err)
				require.Equal(t, def, on)
				f, err := s.GetFlag(ctx, name)
				require.NoError(t, err, "created")
				require.NotNil(t, f.Everyone)
				require.Equal(t, def, *f.Everyone, "created with everyone = FlagDefault")
				on, err = creating.FlagIsActive(ctx, name)
				require.NoError(t, err)
				require.Equal(t, def, on, "now read from the row")
			})
		}

		s := h.store(t, nil)
		_, err := s.FlagIsActive(ctx, "_bad")
		require.ErrorIs(t, err, ErrInvalidName)
		_, err = s.FlagIsActive(cancelled(), "ghost-true")
		require.ErrorIs(t, err, context.Canceled, "the context reaches the query")
		require.Contains(t, err.Error(), "ghost-true")
	})
}

// An anonymous visitor's percent decision: drawn once per request (the
// memo), remembered in a cookie that the next request sends back, and drawn
// again when the cookie is gone. Over real HTTPS with a cookie jar.
func TestFlagPercentMemoAndCookie(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		var mu sync.Mutex
		draws := []float64{0.1, 0.9}
		s := h.store(t, &Config{Rand: func() float64 {
			mu.Lock()
			defer mu.Unlock()
			d := draws[0]
			draws = draws[1:]
			return d
		}})
		left := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(draws)
		}
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "half", Percent: ptr(50.0)}))
		srv := httptest.NewTLSServer(s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for range 3 {
				on, err := s.FlagIsActive(r.Context(), "half")
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				_, _ = w.Write([]byte(strconv.FormatBool(on) + " "))
			}
		})))
		t.Cleanup(srv.Close)
		client := srv.Client()
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		client.Jar = jar
		visit := func() (string, []string) {
			t.Helper()
			resp, err := client.Get(srv.URL + "/")
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			return string(body), resp.Header.Values("Set-Cookie")
		}

		body, cookies := visit()
		require.Equal(t, "true true true ", body, "0.1*100 < 50, then the memo")
		require.Equal(t, 1, left(), "one draw for three evaluations")
		require.Len(t, cookies, 1)
		require.True(t, strings.HasPrefix(cookies[0], "dwf_half=True;"), cookies[0])

		body, cookies = visit()
		require.Equal(t, "true true true ", body, "the cookie decides")
		require.Equal(t, 1, left(), "no draw")
		require.Len(t, cookies, 1, "the cookie is refreshed")

		client.Jar, err = cookiejar.New(nil)
		require.NoError(t, err)
		body, cookies = visit()
		require.Equal(t, "false false false ", body, "a new visitor: 0.9*100 >= 50")
		require.Equal(t, 0, left())
		require.True(t, strings.HasPrefix(cookies[0], "dwf_half=False;"), cookies[0])
	})
}

// An identified user gets the same answer from every store, and raising the
// percent keeps everyone who was on.
func TestFlagPercentIdentifiedUsers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		never := func() float64 { panic("identified users are not drawn") }
		a := h.store(t, &Config{Rand: never})
		b := h.store(t, &Config{Rand: never})
		const users = 1000
		onAt := func(s *Store, percent float64) map[string]bool {
			require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "gradual", Percent: ptr(percent)}))
			out := map[string]bool{}
			for i := range users {
				id := "user-" + strconv.Itoa(i)
				on, st, cookies := evaluate(t, s, evalCase{user: &User{ID: id}}, "gradual")
				require.Empty(t, st.percent, "no memo entry for identified users")
				require.Empty(t, cookies, "no cookie for identified users")
				if on {
					out[id] = true
				}
			}
			return out
		}
		at10a := onAt(a, 10)
		at10b := onAt(b, 10)
		require.Equal(t, at10a, at10b, "two stores agree")
		at20 := onAt(b, 20)
		for id := range at10a {
			require.True(t, at20[id], "%s was on at 10%% and must stay on at 20%%", id)
		}
		require.InDelta(t, 100, len(at10a), 35)
		require.InDelta(t, 200, len(at20), 50)
		// The answers are the documented bucket.
		for i := range users {
			id := "user-" + strconv.Itoa(i)
			require.Equal(t, percentBucket("gradual", id) < 20, at20[id], id)
		}
	})
}

// A flag whose name cannot be a cookie name as is works with its encoded
// cookie and header names, and its raw query parameter.
func TestFlagEncodedCookieNames(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Override: true, Rand: func() float64 { return 0.99 }})
		name := "new checkout/é"
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: name, Testing: true, Percent: ptr(0.1)}))
		const form = "~new%20checkout%2F%C3%A9"
		cases := []struct {
			label string
			c     evalCase
			want  bool
		}{
			{"Query", evalCase{query: "dwft_new+checkout%2F%C3%A9=1", test: ptr(true)}, true},
			{"Header", evalCase{headers: []string{"Dwft-" + form + ": 1"}, test: ptr(true)}, true},
			{"HeaderCanonical", evalCase{headers: []string{"Dwft-~new%20checkout%2f%c3%a9: 1"}, test: ptr(true)}, true},
			{"TestCookie", evalCase{headers: []string{"Cookie: dwft_" + form + "=True"}}, true},
			{"PercentCookie", evalCase{headers: []string{"Cookie: dwf_" + form + "=True"}, percent: ptr(true)}, true},
			{"Override", evalCase{query: "new%20checkout%2F%C3%A9=1"}, true},
			{"RawNameCookieIsNotIt", evalCase{headers: []string{"Cookie: dwf_new checkout/é=True"}, percent: ptr(false)}, false},
		}
		for _, c := range cases {
			t.Run(c.label, func(t *testing.T) {
				on, _, cookies := evaluate(t, s, c.c, name)
				require.Equal(t, c.want, on)
				var want []string
				if c.c.percent != nil {
					want = append(want, "dwf_"+form+"="+pyBool(*c.c.percent))
				}
				if c.c.test != nil {
					want = append(want, "dwft_"+form+"="+pyBool(*c.c.test))
				}
				var sent []string
				for _, ck := range cookies {
					nv, _, _ := strings.Cut(ck, ";")
					sent = append(sent, nv)
				}
				require.ElementsMatch(t, want, sent)
			})
		}
	})
}

// pyBool is a cookie value: "True" or "False", as django-waffle writes them.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// BenchmarkFlagIsActive measures one evaluation on SQLite, with what each
// step needs in the context.
func BenchmarkFlagIsActive(b *testing.B) {
	ctx := context.Background()
	db := testdb.New(b, testdb.SQLite)
	s, err := New(db.Open(b), nil)
	require.NoError(b, err)
	require.NoError(b, s.Migrate(ctx))
	require.NoError(b, s.SaveFlag(ctx, &Flag{Name: "everyone", Everyone: ptr(true)}))
	require.NoError(b, s.SaveFlag(ctx, &Flag{Name: "rules", Percent: ptr(30.0), Testing: true, Languages: []string{"en", "fr"},
		Users: []string{"u1", "u2", "u3"}, Groups: []string{"g1", "g2"}}))
	require.NoError(b, s.AddGroupMembers(ctx, "g1", "m1"))
	r := httptest.NewRequest(http.MethodGet, "/?page=2", nil)
	r.Header.Set("Cookie", "session=abc; dwf_rules=True")
	r.Header.Set("Accept", "text/html")
	anon := withRequestState(ctx, &requestState{req: r})
	cases := []struct {
		name string
		ctx  context.Context
		flag string
	}{
		{"Everyone", ctx, "everyone"},
		{"UserListed", WithUser(ctx, User{ID: "u2"}), "rules"},
		{"GroupMember", WithUser(ctx, User{ID: "m1"}), "rules"},
		{"UserGroupsByName", WithUser(ctx, User{ID: "x", Groups: []string{"g2", "g9"}}), "rules"},
		{"PercentUserBucket", WithLanguage(WithUser(ctx, User{ID: "u9"}), "de"), "rules"},
		{"PercentAnonymousCookie", anon, "rules"},
		{"Missing", ctx, "missing"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.FlagIsActive(c.ctx, c.flag); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Whatever the request carries, evaluation answers without an error or a
// panic, and writes only well-formed cookies.
func FuzzFlagIsActiveRequest(f *testing.F) {
	ctx := context.Background()
	kinds := []string{testdb.SQLite}
	if os.Getenv(testdb.EnvPostgresDSN) != "" {
		kinds = append(kinds, testdb.Postgres)
	}
	var stores []*Store
	for _, kind := range kinds {
		s, err := New(testdb.New(f, kind).Open(f), &Config{Override: true})
		require.NoError(f, err)
		require.NoError(f, s.Migrate(ctx))
		for _, fl := range []Flag{
			{Name: "beta", Percent: ptr(50.0), Testing: true, Languages: []string{"en"}, Users: []string{"u1"}, Groups: []string{"g1"}},
			{Name: "new checkout", Percent: ptr(50.0), Testing: true, Rollout: true},
		} {
			require.NoError(f, s.SaveFlag(ctx, &fl))
		}
		stores = append(stores, s)
	}
	f.Add("beta", "beta=1&dwft_beta=0", "dwf_beta=True; dwft_beta=x", "1", "u1", "g1", "en")
	f.Add("new checkout", "new+checkout=%zz&dwft_new%20checkout=1", `dwf_~new%20checkout="True"`, "", "", "", "")
	f.Add("beta", "%;&=&&==", ";;;=;dwf_beta", "\x00", "\xff", "a\"b", "EN")
	f.Add("beta", "", "", "", "u\x00\xff", "g\x00", "")
	f.Fuzz(func(t *testing.T, flag, query, cookie, header, user, group, lang string) {
		for _, s := range stores {
			fuzzEvaluate(t, s, flag, query, cookie, header, user, group, lang)
		}
	})
}

func fuzzEvaluate(t *testing.T, s *Store, flag, query, cookie, header, user, group, lang string) {
	{
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = query
		r.Header["Cookie"] = []string{cookie}
		r.Header["Dwft-Beta"] = []string{header}
		var got error
		h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := WithLanguage(WithUser(r.Context(), User{ID: user, Groups: []string{group}}), lang)
			_, got = s.FlagIsActive(c, flag)
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if ValidateName("flag", flag) == nil {
			require.NoError(t, got)
		} else {
			require.ErrorIs(t, got, ErrInvalidName)
		}
		for _, line := range rec.Result().Header.Values("Set-Cookie") {
			nv, _, _ := strings.Cut(line, ";")
			name, value, ok := strings.Cut(nv, "=")
			require.True(t, ok, line)
			require.Contains(t, []string{"True", "False"}, value, line)
			for i := 0; i < len(name); i++ {
				require.True(t, isTokenChar(name[i]), line)
			}
		}
	}
}

// The evaluation statement finds the flag and every membership through the
// primary keys and indexes: no table scan on SQLite, none on PostgreSQL when
// the planner is told to avoid them (its tables here are too small for it to
// choose indexes on its own).
func TestFlagEvalPlanUsesIndexes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		for i := range 50 {
			n := strconv.Itoa(i)
			f := &Flag{Name: "f" + n, Users: []string{"u" + n, "v" + n}, Groups: []string{"g" + strconv.Itoa(i%5)}}
			if i%2 == 1 { // f7, the flag evaluated, has a ramp
				f.Ramp = LinearRamp(time.Now(), time.Now().Add(time.Hour), 0, 100)
			}
			require.NoError(t, s.SaveFlag(ctx, f))
			require.NoError(t, s.AddGroupMembers(ctx, "g"+strconv.Itoa(i%5), "m"+n))
		}
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		sqlDB.SetMaxOpenConns(1) // the session settings below hold for the EXPLAIN
		_, err = sqlDB.ExecContext(ctx, "ANALYZE")
		require.NoError(t, err)
		explain := "EXPLAIN QUERY PLAN "
		if s.Dialect() == "postgres" {
			_, err = sqlDB.ExecContext(ctx, "SET enable_seqscan = off")
			require.NoError(t, err)
			explain = "EXPLAIN "
		}
		// FlagIsActive's statements and FlagDetail's twins: every plan on
		// indexes.
		for _, c := range []struct {
			stmt string
			args []any
		}{
			{"flag_eval", []any{"f7", "m7", s.listArg([]string{"g1", "g2"}, true)}},
			{"flag_eval_detail", []any{"f7", "m7", s.listArg([]string{"g1", "g2"}, true)}},
			{"flag_eval_meta", []any{"f7", "m7", s.listArg([]string{"g1", "g2"}, true)}},
			{"flag_eval_user", []any{"f7", "m7"}},
			{"flag_eval_user_detail", []any{"f7", "m7"}},
			{"flag_eval_user_meta", []any{"f7", "m7"}},
		} {
			text := explainPlan(t, sqlDB, explain+s.q.SQL(c.stmt), c.args...)
			for _, line := range strings.Split(text, "\n") {
				if s.Dialect() == "postgres" {
					require.NotContains(t, line, "Seq Scan", text)
				} else if strings.HasPrefix(line, "SCAN ") {
					require.Contains(t, line, "json_each", "only the request's group names are scanned:\n"+text)
				}
			}
			require.Contains(t, text, "waffle_flag", text)
		}
	})
}

// explainPlan runs an EXPLAIN and returns its plan's lines.
func explainPlan(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		if line, ok := vals[len(vals)-1].(string); ok {
			plan = append(plan, line)
		} else if b, ok := vals[len(vals)-1].([]byte); ok {
			plan = append(plan, string(b))
		}
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, plan)
	text := strings.Join(plan, "\n")
	t.Log("\n" + text)
	return text
}

// FlagDetail's and FlagDetailMeta's statements are FlagIsActive's with the
// membership column changed: the same columns before it, the same FROM and
// WHERE after it. An anonymous visitor's FlagDetail runs FlagIsActive's.
func TestFlagDetailStatementsTwinFlagIsActive(t *testing.T) {
	t.Parallel()
	require.Equal(t, evalStatements[formActive].anonymous, evalStatements[formDetail].anonymous)
	for _, dialect := range []string{"postgres", "sqlite"} {
		q := query.For(dialect)
		for i, base := range []string{evalStatements[0].full, evalStatements[0].user, evalStatements[0].anonymous} {
			for _, form := range []evalForm{formDetail, formMeta} {
				twin := []string{evalStatements[form].full, evalStatements[form].user, evalStatements[form].anonymous}[i]
				a, b := q.SQL(base), q.SQL(twin)
				head := "SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,"
				require.Contains(t, a, "\n"+head, "%s %s", dialect, base)
				require.Contains(t, b, "\n"+head, "%s %s", dialect, twin)
				tail := a[strings.LastIndex(a, "\nFROM waffle_flag f WHERE"):]
				require.True(t, strings.HasSuffix(b, tail), "%s %s ends as %s", dialect, twin, base)
				require.Equal(t, 1, strings.Count(b, "\nFROM waffle_flag f WHERE"), "%s %s", dialect, twin)
				require.Equal(t, form == formMeta, strings.Contains(b, "f.modified"), "%s %s", dialect, twin)
			}
		}
	}
}

// parseDetailTime reads SQLite's detail time as scanTime does, and refuses
// what it does not know, for scanTime to read.
func TestParseDetailTime(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2026-12-05T05:16:10.123456Z", true},
		{"2026-12-05 05:16:10.123456789+00:00", true},
		{"2026-12-05 05:16:10+00:00", true},
		{"2026-12-05 07:16:10.5+02:00", true},
		{"2026-12-05 01:16:10.25-04:30", true},
		{"2024-02-29 23:59:59.999999+00:00", true},
		{"2000-01-01 00:00:00Z", true},
		{"1970-01-01 00:30:00+01:00", true},
		{"2100-03-01 00:00:00-12:00", true},
		{"0001-01-01 00:00:00Z", true},
		{"9999-12-31 23:59:59.999999999+14:00", true},
		{"2026-12-05 05:16:10", false},
		{"2026-12-05T05:16:10.123456", false},
		{"2026-12-05 05:16:10.1234567890+00:00", false},
		{"2026-12-05 05:16:10.+00:00", false},
		{"2026-13-05 05:16:10Z", false},
		{"2026-12-05 05:16:1xZ", false},
		{"2026-12-05 05:16:10+0000", false},
		{"", false},
	} {
		got, ok := parseDetailTime(c.in)
		require.Equal(t, c.ok, ok, c.in)
		if ok {
			var want scanTime
			require.NoError(t, want.parse(c.in), c.in)
			require.True(t, want.t.Equal(got), "%s: %v, want %v", c.in, got, want.t)
			require.Equal(t, time.UTC, got.Location(), c.in)
		}
	}
	// Times across four centuries, written as go-sqlite3 writes them.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		want := time.Unix(rng.Int64N(400*365*86400)-100*365*86400, rng.Int64N(1e9)).In(time.FixedZone("", (rng.IntN(49)-24)*1800))
		in := want.Format("2006-01-02 15:04:05.999999999-07:00")
		got, ok := parseDetailTime(in)
		require.True(t, ok, in)
		require.True(t, want.Equal(got), "%s: %v", in, got)
	}
}
