package waffle

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func newTestStoreNoDB(t *testing.T, cfg *Config) *Store {
	t.Helper()
	c, err := cfg.withDefaults()
	require.NoError(t, err)
	return &Store{cfg: c}
}

// testHeaderName returns the name of flag's testing header ("dwft-beta"):
// the testing cookie's name with "_" replaced by "-". Evaluation never
// builds it (it matches with a nameMatcher); the tests check that the
// matcher accepts it.
func (s *Store) testHeaderName(flag string) string {
	return strings.ReplaceAll(s.testCookieName(flag), "_", "-")
}

// testQueryName returns the testing query parameter of flag ("dwft_beta"),
// with the raw name, for the tests as testHeaderName.
func (s *Store) testQueryName(flag string) string {
	return formatName(s.cfg.Cookie.TestNameFormat, flag)
}

func TestCookieNames(t *testing.T) {
	t.Parallel()
	s := newTestStoreNoDB(t, nil)
	cases := []struct {
		flag, percent, test, header string
	}{
		{"beta", "dwf_beta", "dwft_beta", "dwft-beta"},
		{"t_f", "dwf_t_f", "dwft_t_f", "dwft-t-f"},
		{"50%off!", "dwf_50%off!", "dwft_50%off!", "dwft-50%off!"},
		{"new checkout", "dwf_~new%20checkout", "dwft_~new%20checkout", "dwft-~new%20checkout"},
		{"café", "dwf_~caf%C3%A9", "dwft_~caf%C3%A9", "dwft-~caf%C3%A9"},
		{"~x", "dwf_~%7Ex", "dwft_~%7Ex", "dwft-~%7Ex"},
		{"a=b;c", "dwf_~a%3Db%3Bc", "dwft_~a%3Db%3Bc", "dwft-~a%3Db%3Bc"},
		{"a/b", "dwf_~a%2Fb", "dwft_~a%2Fb", "dwft-~a%2Fb"},
	}
	for _, c := range cases {
		t.Run(c.flag, func(t *testing.T) {
			require.Equal(t, c.percent, s.percentCookieName(c.flag))
			require.Equal(t, c.test, s.testCookieName(c.flag))
			require.Equal(t, c.header, s.testHeaderName(c.flag))
			// The names evaluation matches are these: the header in any case
			// and with "_" for "-", the cookies exactly, the query by raw name.
			form := cookieForm(c.flag)
			hm := newNameMatcher(s.cfg.Cookie.TestNameFormat, form, true)
			require.True(t, hm.match(c.header) && hm.match(strings.ToUpper(c.header)) && hm.match(strings.ReplaceAll(c.header, "-", "_")))
			tm := newNameMatcher(s.cfg.Cookie.TestNameFormat, form, false)
			require.True(t, tm.match(c.test))
			require.False(t, tm.match(strings.ToUpper(c.test)), "cookie names are case-sensitive")
			pm := newNameMatcher(s.cfg.Cookie.NameFormat, form, false)
			require.True(t, pm.match(c.percent))
			qm := newNameMatcher(s.cfg.Cookie.TestNameFormat, c.flag, false)
			require.True(t, qm.match(s.testQueryName(c.flag)))
			// Every name is a valid cookie name: net/http writes it.
			ck := (&http.Cookie{Name: s.percentCookieName(c.flag), Value: "True"}).String()
			require.True(t, strings.HasPrefix(ck, c.percent+"=True"), ck)
		})
	}

	custom := newTestStoreNoDB(t, &Config{Cookie: CookieConfig{NameFormat: "p_%s_x", TestNameFormat: "t%s"}})
	require.Equal(t, "p_beta_x", custom.percentCookieName("beta"))
	require.Equal(t, "tbeta", custom.testCookieName("beta"))
	require.Equal(t, "tbeta", custom.testQueryName("beta"))
	require.Equal(t, "dwft_new checkout", s.testQueryName("new checkout"), "the query uses the raw name")
}

func TestCookieFormIsInjective(t *testing.T) {
	t.Parallel()
	names := []string{"a b", "~a%20b", "a%20b", "~a b", "a+b", "~", "%7E", "~%7E", "é", "%C3%A9", "~%C3%A9", "A", "a"}
	seen := map[string]string{}
	for _, n := range names {
		f := cookieForm(n)
		if prev, dup := seen[f]; dup {
			t.Fatalf("%q and %q share cookie form %q", prev, n, f)
		}
		seen[f] = n
		require.True(t, plainCookieForm(f) || f[0] == '~')
	}
}

func TestRequestLookups(t *testing.T) {
	t.Parallel()
	s := newTestStoreNoDB(t, nil)
	cookie := func(flag string) *nameMatcher {
		m := newNameMatcher(s.cfg.Cookie.NameFormat, cookieForm(flag), false)
		return &m
	}
	req := func(target string, header http.Header) *http.Request {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for k, v := range header {
			r.Header[k] = v
		}
		return r
	}

	t.Run("Cookie", func(t *testing.T) {
		cases := []struct {
			name   string
			header []string
			flag   string
			value  string
			ok     bool
		}{
			{"Plain", []string{"dwf_beta=True"}, "beta", "True", true},
			{"AmongOthers", []string{"a=1; dwf_beta=False; b=2"}, "beta", "False", true},
			{"SecondLine", []string{"a=1", "dwf_beta=True"}, "beta", "True", true},
			{"Quoted", []string{`dwf_beta="True"`}, "beta", "True", true},
			{"Absent", []string{"dwf_betax=True"}, "beta", "", false},
			{"Duplicated", []string{"dwf_beta=True; dwf_beta=True"}, "beta", "", false},
			{"Oversized", []string{"dwf_beta=" + strings.Repeat("T", maxInputValue+1)}, "beta", "", false},
			{"NoEquals", []string{"dwf_beta"}, "beta", "", false},
			{"Encoded", []string{"dwf_~new%20checkout=True"}, "new checkout", "True", true},
			{"CaseSensitive", []string{"DWF_beta=True"}, "beta", "", false},
			{"Garbage", []string{";;; =; ==; dwf_beta=x=y"}, "beta", "x=y", true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				v, ok := lookupCookie(req("/", http.Header{"Cookie": c.header}), cookie(c.flag))
				require.Equal(t, c.ok, ok)
				require.Equal(t, c.value, v)
			})
		}
	})

	t.Run("Header", func(t *testing.T) {
		m := newNameMatcher(s.cfg.Cookie.TestNameFormat, cookieForm("t_f"), true)
		v, ok := lookupHeader(req("/", http.Header{"Dwft-T-F": {"1"}}), &m)
		require.True(t, ok)
		require.Equal(t, "1", v)
		r := req("/", nil)
		r.Header["dwft_t_f"] = []string{"1"} // not canonical, underscores
		v, ok = lookupHeader(r, &m)
		require.True(t, ok)
		require.Equal(t, "1", v)
		v, ok = lookupHeader(req("/", http.Header{"Dwft-T-F": {"1", "1"}}), &m)
		require.True(t, ok, "a repeated header is present")
		require.Equal(t, "", v, "and off")
		_, ok = lookupHeader(req("/", http.Header{"Dwft-T-G": {"1"}}), &m)
		require.False(t, ok)
	})

	t.Run("Query", func(t *testing.T) {
		cases := []struct {
			query, flag string
			value       string
			ok          bool
		}{
			{"beta=1", "beta", "1", true},
			{"beta=0&beta=1", "beta", "1", true},
			{"beta=1&beta=true", "beta", "true", true},
			{"beta", "beta", "", true},
			{"beta=", "beta", "", true},
			{"betax=1", "beta", "", false},
			{"new+checkout=1", "new checkout", "1", true},
			{"new%20checkout=1", "new checkout", "1", true},
			{"beta=%31", "beta", "1", true},
			{"beta=%zz", "beta", "", false},
			{"be%zzta=1&beta=1", "beta", "1", true},
			{"beta=1;x=2", "beta", "1;x=2", true}, // Django's QueryDict splits on & only
			{"x=1;beta=1", "beta", "", false},
			{"beta;x=1", "beta", "", false},
			{"beta=" + strings.Repeat("1", maxInputValue+1), "beta", "", false},
			{"&&beta=1&&", "beta", "1", true},
		}
		for _, c := range cases {
			t.Run(c.query, func(t *testing.T) {
				m := newNameMatcher("%s", c.flag, false)
				v, ok := lookupQuery(c.query, &m)
				require.Equal(t, c.ok, ok)
				require.Equal(t, c.value, v)
			})
		}
	})
}

func FuzzRequestLookups(f *testing.F) {
	f.Add("beta", "dwf_beta=True; x=1", "beta=1&dwft_beta=0", "1")
	f.Add("new checkout", `dwf_~new%20checkout="True"`, "new+checkout=%31", "")
	f.Add("é", ";;=;", "%", "\x00")
	f.Fuzz(func(t *testing.T, flag, cookies, rawQuery, header string) {
		if !utf8.ValidString(flag) {
			return
		}
		c, _ := (*Config)(nil).withDefaults()
		s := &Store{cfg: c}
		r := &http.Request{Header: http.Header{"Cookie": {cookies}, "Dwft-X": {header}}}
		cm := newNameMatcher(s.cfg.Cookie.NameFormat, cookieForm(flag), false)
		if v, ok := lookupCookie(r, &cm); ok && len(v) > maxInputValue {
			t.Fatal("oversized cookie value returned")
		}
		hm := newNameMatcher(s.cfg.Cookie.TestNameFormat, cookieForm(flag), true)
		_, _ = lookupHeader(r, &hm)
		qm := newNameMatcher("%s", flag, false)
		if v, ok := lookupQuery(rawQuery, &qm); ok && len(v) > maxInputValue {
			t.Fatal("oversized query value returned")
		}
		form := cookieForm(flag)
		for i := 0; i < len(form); i++ {
			if !isTokenChar(form[i]) {
				t.Fatalf("cookie form %q of %q has a non-token byte", form, flag)
			}
		}
		if flag != "" && !cm.match(s.percentCookieName(flag)) {
			t.Fatalf("matcher does not match the built name for %q", flag)
		}
	})
}
