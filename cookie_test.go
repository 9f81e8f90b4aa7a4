package waffle

import (
	"net/http"
	"net/url"
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
// the testing cookie's name with "_" replaced by "-". Evaluation looks the
// header up by the testing cookie's name (headers are matched with "_" and
// "-" the same); the tests check that the lookup finds it.
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
			for _, spelling := range []string{c.header, strings.ToUpper(c.header), strings.ReplaceAll(c.header, "-", "_")} {
				v, ok := parseHeaders(http.Header{spelling: {"1"}}).get(s.testCookieName(c.flag))
				require.True(t, ok && v == "1", spelling)
			}
			jar := parseCookies([]string{c.test + "=True; " + c.percent + "=False"})
			v, ok := jar.get(s.testCookieName(c.flag))
			require.True(t, ok && v == "True")
			_, ok = parseCookies([]string{strings.ToUpper(c.test) + "=True"}).get(s.testCookieName(c.flag))
			require.False(t, ok, "cookie names are case-sensitive")
			v, ok = jar.get(s.percentCookieName(c.flag))
			require.True(t, ok && v == "False")
			v, ok = parseQuery(url.QueryEscape(s.testQueryName(c.flag)) + "=1").get(s.testQueryName(c.flag))
			require.True(t, ok && v == "1")
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
			// RFC 6265 section 5.2 and Django trim spaces around the name
			// and the value.
			{"SpaceBeforeValue", []string{"dwf_beta= True"}, "beta", "True", true},
			{"SpacesAround", []string{"a=1;dwf_beta =  True  ;b=2"}, "beta", "True", true},
			{"TabAroundValue", []string{"dwf_beta=\tFalse\t"}, "beta", "False", true},
			{"SpaceInsideQuotes", []string{`dwf_beta=" True"`}, "beta", " True", true},
			{"DuplicatedAfterTrim", []string{"dwf_beta=True; dwf_beta =True"}, "beta", "", false},
			{"OversizedAfterTrim", []string{"dwf_beta= " + strings.Repeat("T", maxInputValue) + " "}, "beta", strings.Repeat("T", maxInputValue), true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				v, ok := parseCookies(c.header).get(s.percentCookieName(c.flag))
				require.Equal(t, c.ok, ok)
				require.Equal(t, c.value, v)
			})
		}
	})

	t.Run("Header", func(t *testing.T) {
		name := s.testCookieName("t_f")
		v, ok := parseHeaders(http.Header{"Dwft-T-F": {"1"}}).get(name)
		require.True(t, ok)
		require.Equal(t, "1", v)
		v, ok = parseHeaders(http.Header{"dwft_t_f": {"1"}}).get(name) // not canonical, underscores
		require.True(t, ok)
		require.Equal(t, "1", v)
		v, ok = parseHeaders(http.Header{"Dwft-T-F": {"1", "1"}}).get(name)
		require.True(t, ok, "a repeated header is present")
		require.Equal(t, "", v, "and off")
		v, ok = parseHeaders(http.Header{"Dwft-T-F": {"1"}, "dwft_t_f": {"1"}}).get(name)
		require.True(t, ok, "a header under two spellings is present")
		require.Equal(t, "", v, "and off")
		_, ok = parseHeaders(http.Header{"Dwft-T-G": {"1"}}).get(name)
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
				v, ok := parseQuery(c.query).get(c.flag)
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
		if v, ok := parseCookies([]string{cookies}).get(s.percentCookieName(flag)); ok && len(v) > maxInputValue {
			t.Fatal("oversized cookie value returned")
		}
		_, _ = parseHeaders(http.Header{"Cookie": {cookies}, "Dwft-X": {header}}).get(s.testCookieName(flag))
		if v, ok := parseQuery(rawQuery).get(flag); ok && len(v) > maxInputValue {
			t.Fatal("oversized query value returned")
		}
		form := cookieForm(flag)
		for i := 0; i < len(form); i++ {
			if !isTokenChar(form[i]) {
				t.Fatalf("cookie form %q of %q has a non-token byte", form, flag)
			}
		}
		if flag != "" {
			v, ok := parseCookies([]string{s.percentCookieName(flag) + "=True"}).get(s.percentCookieName(flag))
			if !ok || v != "True" {
				t.Fatalf("the built name of %q is not found", flag)
			}
		}
	})
}
