package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gowaffle/waffle/internal/testdb"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

// The browser test proves that wafflejs is correct JavaScript inside HTML in
// a real browser: Debian's Chromium, driven through chromedp (a test-only
// dependency, see the README). scripts/ensure-chromium installs it.

// chromiumPath returns the browser to drive: $WAFFLE_CHROMIUM, or
// /usr/bin/chromium. When it is missing the test skips, except under CI=true.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("WAFFLE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := "no browser at " + path + " (run scripts/ensure-chromium, or set WAFFLE_CHROMIUM): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// newBrowser starts a headless Chromium for the test, with a fresh profile,
// and returns its context; each chromedp.NewContext of it is a new tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx), "starting %s", chromiumPath(t))
	return ctx
}

// Hostile names: each would break out of a <script> element, a JavaScript
// string or the map if it were written unescaped or HTML-escaped.
const (
	evilFlag    = "</script>\"'x"                                 // the brief's example
	evilSwitch  = "</script><script>window.pwned=1</script>"      // a second script
	commentName = "<!--<script>"                                  // script-data double-escape state
	lineSep     = "line\u2028sep\u2029end"                        // line terminators
	ampName     = "a&amp;b"                                       // no HTML unescaping
	protoName   = "hasOwnProperty"                                // shadows Object.prototype
	quoteName   = `back\slash "double" 'single' ` + "`tick` ${x}" // string syntax
)

var browserPage = template.Must(template.New("page").Funcs((*waffle.Store)(nil).FuncMap(nil)).Parse(
	`<!doctype html>
<html><head><meta charset="utf-8"><title>waffle</title>
<script>{{wafflejs}}</script>
<script>window.inlineWaffle = window.waffle; window.waffle = undefined;</script>
<script src="/wafflejs"></script>
</head><body><p id="after">after the scripts</p></body></html>
`))

// browserProbe is what the page reports back, for one copy of the script.
const browserProbe = `(function(){
  function probe(w) {
    if (!w) return null;
    return {
      evilFlag: w.flag_is_active(@EVIL_FLAG@),
      evilSwitch: w.switch_is_active(@EVIL_SWITCH@),
      comment: w.flag_is_active(@COMMENT@),
      lineSep: w.switch_is_active(@LINE_SEP@),
      amp: w.flag_is_active(@AMP@),
      ampUnescaped: w.flag_is_active("a&b"),
      proto: w.flag_is_active(@PROTO@),
      quote: w.switch_is_active(@QUOTE@),
      offFlag: w.flag_is_active("off"),
      missingFlag: w.flag_is_active("no-such-flag"),
      constructorFlag: w.flag_is_active("constructor"),
      toStringSwitch: w.switch_is_active("toString"),
      missingSwitch: w.switch_is_active("no-such-switch"),
      missingSample: w.sample_is_active("no-such-sample"),
      always: w.sample_is_active("always"),
      never: w.sample_is_active("never"),
      flags: Object.keys(w.FLAGS),
      switches: Object.keys(w.SWITCHES),
      samples: Object.keys(w.SAMPLES),
      flagsProto: Object.getPrototypeOf(w.FLAGS) === null
    };
  }
  return {
    inline: probe(window.inlineWaffle),
    src: probe(window.waffle),
    pwned: window.pwned === undefined ? false : true,
    after: document.getElementById("after") ? document.getElementById("after").textContent : "",
    scripts: document.scripts.length
  };
})()`

type browserResult struct {
	Inline  *browserProbeResult `json:"inline"`
	Src     *browserProbeResult `json:"src"`
	Pwned   bool                `json:"pwned"`
	After   string              `json:"after"`
	Scripts int                 `json:"scripts"`
}

type browserProbeResult struct {
	EvilFlag        bool     `json:"evilFlag"`
	EvilSwitch      bool     `json:"evilSwitch"`
	Comment         bool     `json:"comment"`
	LineSep         bool     `json:"lineSep"`
	Amp             bool     `json:"amp"`
	AmpUnescaped    bool     `json:"ampUnescaped"`
	Proto           bool     `json:"proto"`
	Quote           bool     `json:"quote"`
	OffFlag         bool     `json:"offFlag"`
	MissingFlag     bool     `json:"missingFlag"`
	ConstructorFlag bool     `json:"constructorFlag"`
	ToStringSwitch  bool     `json:"toStringSwitch"`
	MissingSwitch   bool     `json:"missingSwitch"`
	MissingSample   bool     `json:"missingSample"`
	Always          bool     `json:"always"`
	Never           bool     `json:"never"`
	Flags           []string `json:"flags"`
	Switches        []string `json:"switches"`
	Samples         []string `json:"samples"`
	FlagsProto      bool     `json:"flagsProto"`
}

// TestJSInBrowser serves a page that includes wafflejs inline in a <script>
// element (through the FuncMap) and by src (through JSHandler), loads it in
// Chromium, and calls window.waffle there.
func TestJSInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		setup := newStore(t, db, nil)
		require.NoError(t, setup.Migrate(ctx))
		for _, name := range []string{evilFlag, commentName, ampName, protoName} {
			setFlagEveryone(t, setup, name, true)
		}
		setFlagEveryone(t, setup, "off", false)
		for _, name := range []string{evilSwitch, lineSep, quoteName} {
			require.NoError(t, setup.SetSwitch(ctx, name, true))
		}
		require.NoError(t, setup.SetSample(ctx, "always", 100))
		require.NoError(t, setup.SetSample(ctx, "never", 0))

		wantFlags := []string{commentName, evilFlag, ampName, protoName, "off"} // byte order
		wantSwitches := []string{evilSwitch, quoteName, lineSep}
		for _, defaults := range []bool{false, true} {
			t.Run(map[bool]string{false: "DefaultsOff", true: "DefaultsOn"}[defaults], func(t *testing.T) {
				s := newStore(t, db, &waffle.Config{FlagDefault: defaults, SwitchDefault: defaults, SampleDefault: defaults})
				mux := http.NewServeMux()
				mux.Handle("GET /wafflejs", s.JSHandler())
				mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
					var b bytes.Buffer
					if err := template.Must(browserPage.Clone()).Funcs(s.FuncMap(r)).Execute(&b, nil); err != nil {
						t.Errorf("rendering the page: %v", err)
					}
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					_, _ = b.WriteTo(w)
				})
				srv := httptest.NewServer(s.Middleware(mux))
				t.Cleanup(srv.Close)

				tab, cancel := chromedp.NewContext(browser)
				defer cancel()
				tctx, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
				defer cancelTimeout()
				require.NoError(t, chromedp.Do(tctx, chromedp.Navigate(srv.URL+"/")))
				got, err := chromedp.Run(tctx, chromedp.Evaluate[browserResult](jsProbe(t)))
				require.NoError(t, err)

				require.False(t, got.Pwned, "a name ran its own script")
				require.Equal(t, "after the scripts", got.After, "the page after the scripts is intact")
				require.Equal(t, 3, got.Scripts, "no script element was added or lost")
				for how, p := range map[string]*browserProbeResult{"inline": got.Inline, "src": got.Src} {
					require.NotNil(t, p, "%s: window.waffle is not defined", how)
					want := browserProbeResult{
						EvilFlag: true, EvilSwitch: true, Comment: true, LineSep: true, Amp: true,
						AmpUnescaped: defaults, Proto: true, Quote: true, OffFlag: false,
						MissingFlag: defaults, ConstructorFlag: defaults, ToStringSwitch: defaults,
						MissingSwitch: defaults, MissingSample: defaults, Always: true, Never: false,
						Flags: wantFlags, Switches: wantSwitches, Samples: []string{"always", "never"},
						FlagsProto: true,
					}
					require.Equal(t, want, *p, how)
				}
			})
		}
	})
}

// jsProbe returns browserProbe with the names written as JavaScript strings.
func jsProbe(t *testing.T) string {
	r := map[string]string{
		"@EVIL_FLAG@": evilFlag, "@EVIL_SWITCH@": evilSwitch, "@COMMENT@": commentName, "@LINE_SEP@": lineSep,
		"@AMP@": ampName, "@PROTO@": protoName, "@QUOTE@": quoteName,
	}
	out := browserProbe
	for k, v := range r {
		out = strings.ReplaceAll(out, k, jsString(t, v))
	}
	return out
}

// jsString returns s as a JavaScript string literal (JSON's is one).
func jsString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

// newStore returns a Store with its own connection pool on db.
func newStore(t *testing.T, db *testdb.DB, cfg *waffle.Config) *waffle.Store {
	t.Helper()
	s, err := waffle.New(db.Open(t), cfg)
	require.NoError(t, err)
	return s
}

// setFlagEveryone saves the flag called name, on or off for everyone.
func setFlagEveryone(t *testing.T, s *waffle.Store, name string, on bool) {
	t.Helper()
	require.NoError(t, s.SaveFlag(context.Background(), &waffle.Flag{Name: name, Everyone: &on}))
}
