package waffle

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The status JSON: its exact shape, RFC 3339 UTC times with milliseconds,
// never-cache headers, flags evaluated for the request with their cookies.
func TestStatusHandler(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		at := func(ms int) func() time.Time {
			return func() time.Time {
				return time.Date(2020, 1, 1, 13, 0, 0, ms*int(time.Millisecond)+456789, time.FixedZone("CET", 3600))
			}
		}
		writer := func(ms int) *Store { return h.store(t, &Config{Now: at(ms)}) }
		setFlagEveryone(t, writer(123), "on", true)
		setFlagEveryone(t, writer(0), "off", false)
		saveFlag(t, writer(5), Flag{Name: "pf", Percent: ptr(50.0)})
		saveFlag(t, writer(6), Flag{Name: "t_f", Testing: true})
		require.NoError(t, writer(7).SetSwitch(ctx, "sw-on", true))
		require.NoError(t, writer(8).SetSwitch(ctx, "sw</script>", false))
		require.NoError(t, writer(9).SetSample(ctx, "always", 100))
		require.NoError(t, writer(10).SetSample(ctx, "never", 0))

		s := h.store(t, &Config{Now: fixedClock, Rand: fixedRand(0.1)})
		resp, body := roundTrip(t, s, s.StatusHandler(), get("/?dwft_t_f=1"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.Equal(t, "max-age=0, no-cache, no-store, must-revalidate, private", resp.Header.Get("Cache-Control"))
		require.Equal(t, "Sat, 21 Nov 2026 04:17:06 GMT", resp.Header.Get("Expires"))
		require.Equal(t, `{"flags":{`+
			`"off":{"is_active":false,"last_modified":"2020-01-01T12:00:00.000Z"},`+
			`"on":{"is_active":true,"last_modified":"2020-01-01T12:00:00.123Z"},`+
			`"pf":{"is_active":true,"last_modified":"2020-01-01T12:00:00.005Z"},`+
			`"t_f":{"is_active":true,"last_modified":"2020-01-01T12:00:00.006Z"}},`+
			`"switches":{`+
			`"sw-on":{"is_active":true,"last_modified":"2020-01-01T12:00:00.007Z"},`+
			`"sw\u003c/script\u003e":{"is_active":false,"last_modified":"2020-01-01T12:00:00.008Z"}},`+
			`"samples":{`+
			`"always":{"is_active":true,"last_modified":"2020-01-01T12:00:00.009Z"},`+
			`"never":{"is_active":false,"last_modified":"2020-01-01T12:00:00.010Z"}}}`, body)
		require.Equal(t, []string{
			"dwf_pf=True; Path=/; Expires=Mon, 21 Dec 2026 04:17:06 GMT; Max-Age=2592000; Secure",
			"dwft_t_f=True; Path=/",
		}, resp.Header.Values("Set-Cookie"))

		var parsed map[string]map[string]struct {
			IsActive     bool      `json:"is_active"`
			LastModified time.Time `json:"last_modified"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &parsed))
		require.Len(t, parsed, 3)
		require.True(t, parsed["switches"]["sw-on"].IsActive)
	})
}

// An empty database is three empty objects.
func TestStatusHandlerEmpty(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		resp, body := roundTrip(t, s, s.StatusHandler(), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, `{"flags":{},"switches":{},"samples":{}}`, body)
	})
}

// wafflejs over HTTP: headers, defaults in the script, the names as JSON
// strings, and the cookies of every flag it evaluated.
func TestJSHandler(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		setup := h.store(t, nil)
		setFlagEveryone(t, setup, "on", true)
		saveFlag(t, setup, Flag{Name: "pf", Percent: ptr(50.0), Rollout: true})
		saveFlag(t, setup, Flag{Name: "pg", Percent: ptr(50.0)})
		require.NoError(t, setup.SetSwitch(ctx, `it's <b>&"`, true))
		require.NoError(t, setup.SetSample(ctx, "always", 100))

		s := h.store(t, &Config{Now: fixedClock, Rand: fixedRand(0.9), SwitchDefault: true})
		resp, body := roundTrip(t, s, s.JSHandler(), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, "application/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "max-age=0, no-cache, no-store, must-revalidate, private", resp.Header.Get("Cache-Control"))
		require.Contains(t, body, `FLAGS = {__proto__: null, ["on"]: true, ["pf"]: false, ["pg"]: false}`)
		require.Contains(t, body, `SWITCHES = {__proto__: null, ["it's \u003cb\u003e\u0026\""]: true}`)
		require.Contains(t, body, `SAMPLES = {__proto__: null, ["always"]: true}`)
		require.Contains(t, body, "return lookup(FLAGS, flag_name, false);")
		require.Contains(t, body, "return lookup(SWITCHES, switch_name, true);")
		require.Contains(t, body, "return lookup(SAMPLES, sample_name, false);")
		require.NotContains(t, body, "<")
		require.Equal(t, []string{
			"dwf_pf=False; Path=/; Secure", // rollout off: session
			"dwf_pg=False; Path=/; Expires=Mon, 21 Dec 2026 04:17:06 GMT; Max-Age=2592000; Secure",
		}, resp.Header.Values("Set-Cookie"))
	})
}

// A failed read is a logged, plain 500 for both handlers; the error is not
// shown.
func TestHandlersDatabaseDown(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		var logs bytes.Buffer
		s := h.store(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		db, err := s.db.DB()
		require.NoError(t, err)
		require.NoError(t, db.Close())
		for _, handler := range []http.Handler{s.JSHandler(), s.StatusHandler()} {
			logs.Reset()
			resp, body := roundTrip(t, s, handler, nil)
			require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			require.Equal(t, "Internal Server Error\n", body)
			require.True(t, strings.Contains(logs.String(), "database is closed"), logs.String())
			require.Empty(t, resp.Header.Get("Cache-Control"))
		}
	})
}

// The handlers send one statement however many flags, switches and samples
// exist.
func TestHandlersStatementCount(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		setup := h.store(t, nil)
		for _, name := range []string{"a", "b", "c", "d"} {
			saveFlag(t, setup, Flag{Name: name, Percent: ptr(50.0)})
		}
		require.NoError(t, setup.SetSwitch(ctx, "sw", true))
		require.NoError(t, setup.SetSample(ctx, "sm", 50))
		s, counter := h.countingStore(t, nil)
		for _, handler := range []http.Handler{s.JSHandler(), s.StatusHandler()} {
			for range 2 { // the first run also prepares
				counter.Reset()
				resp, _ := roundTrip(t, s, handler, nil)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
			}
		}
	})
}

// Middleware has the shape chi's r.Use and gorilla/mux's Use take.
var _ func(http.Handler) http.Handler = (*Store)(nil).Middleware
