package waffle

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestNewConfig(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, testdb.SQLite).Open(t)
	cases := []struct {
		name  string
		cfg   *Config
		field string // "" when cfg is valid
	}{
		{"Nil", nil, ""},
		{"Zero", &Config{}, ""},
		{"EveryMode", &Config{MissingFlagHandling: Exception}, ""},
		{"ReturnEmpty", &Config{MissingFlagHandling: ReturnEmpty}, ""},
		{"ReturnNone", &Config{MissingFlagHandling: ReturnNone}, ""},
		{"UnknownMode", &Config{MissingFlagHandling: "return_true"}, "MissingFlagHandling"},
		{"ModeCase", &Config{MissingFlagHandling: "EXCEPTION"}, "MissingFlagHandling"},
		{"NegativeMaxJSONBytes", &Config{MaxJSONBytes: -1}, "MaxJSONBytes"},
		{"NegativeMaxAge", &Config{Cookie: CookieConfig{MaxAge: -time.Second}}, "Cookie.MaxAge"},
		{"CustomCookieNames", &Config{Cookie: CookieConfig{NameFormat: "ff_%s", TestNameFormat: "fft_%s"}}, ""},
		{"NameFormatWithoutVerb", &Config{Cookie: CookieConfig{NameFormat: "flag"}}, "Cookie.NameFormat"},
		{"NameFormatTwoVerbs", &Config{Cookie: CookieConfig{NameFormat: "%s_%s"}}, "Cookie.NameFormat"},
		{"NameFormatOtherVerb", &Config{Cookie: CookieConfig{NameFormat: "dwf_%d"}}, "Cookie.NameFormat"},
		{"NameFormatExtraPercent", &Config{Cookie: CookieConfig{NameFormat: "100%_%s"}}, "Cookie.NameFormat"},
		{"TestNameFormatWithoutVerb", &Config{Cookie: CookieConfig{TestNameFormat: "dwft_"}}, "Cookie.TestNameFormat"},
		{"TestNameFormatOtherVerb", &Config{Cookie: CookieConfig{TestNameFormat: "dwft_%v"}}, "Cookie.TestNameFormat"},
		{"SameSiteStrict", &Config{Cookie: CookieConfig{SameSite: http.SameSiteStrictMode}}, ""},
		{"SameSiteUnknown", &Config{Cookie: CookieConfig{SameSite: http.SameSite(42)}}, "Cookie.SameSite"},
		{"PathWithSemicolon", &Config{Cookie: CookieConfig{Path: "/a;b"}}, "Cookie.Path"},
		{"PathWithControl", &Config{Cookie: CookieConfig{Path: "/a\nb"}}, "Cookie.Path"},
		{"DomainValid", &Config{Cookie: CookieConfig{Domain: "example.com", Path: "/app"}}, ""},
		{"DomainWithSpace", &Config{Cookie: CookieConfig{Domain: "exa mple.com"}}, "Cookie.Domain"},
		{"DomainWithSlash", &Config{Cookie: CookieConfig{Domain: "example.com/x"}}, "Cookie.Domain"},
		{"DomainLeadingDot", &Config{Cookie: CookieConfig{Domain: ".example.com"}}, ""},
		{"DomainLocalhost", &Config{Cookie: CookieConfig{Domain: "localhost"}}, ""},
		{"PathTrailingSlash", &Config{Cookie: CookieConfig{Path: "/app/"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(db, c.cfg)
			if c.field == "" {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			require.Nil(t, s)
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, c.field, ce.Field)
			require.Contains(t, err.Error(), c.field)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, testdb.SQLite).Open(t)
	for _, cfg := range []*Config{nil, {}} {
		s, err := New(db, cfg)
		require.NoError(t, err)
		c := s.cfg
		require.Equal(t, ReturnFalse, c.MissingFlagHandling)
		require.Equal(t, 30*24*time.Hour, c.Cookie.MaxAge)
		require.Equal(t, "dwf_%s", c.Cookie.NameFormat)
		require.Equal(t, "dwft_%s", c.Cookie.TestNameFormat)
		require.Equal(t, "/", c.Cookie.Path)
		require.Equal(t, 50, c.Cookie.MaxPerResponse)
		require.Equal(t, 16<<20, c.MaxJSONBytes)
		require.NotNil(t, c.Logger)
		require.NotNil(t, c.Now)
		require.NotNil(t, c.Rand)
		r := c.Rand()
		require.True(t, r >= 0 && r < 1)
		require.Equal(t, "sqlite", s.Dialect())
	}
	// New copies the Config: changing it afterwards changes nothing.
	cfg := &Config{SwitchDefault: true}
	s, err := New(db, cfg)
	require.NoError(t, err)
	cfg.SwitchDefault = false
	require.True(t, s.cfg.SwitchDefault)
}

func TestNewNilDB(t *testing.T) {
	t.Parallel()
	s, err := New(nil, nil)
	require.Nil(t, s)
	require.Error(t, err)
	require.Contains(t, err.Error(), "db is nil")
}
