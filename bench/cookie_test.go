package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// BenchmarkCookieHeader measures the status handler with 2,000 percent flags
// in testing mode, on SQLite, for a request without cookies (case=NoHeader)
// and for the same request carrying a 1 MB Cookie header (case=Header1MB: a
// percent cookie for every flag among padding cookies). The Cookie header is
// parsed once per request, so Header1MB must stay within 2x of NoHeader
// (issue 17: it was 68x when every flag scanned the whole header).
func BenchmarkCookieHeader(b *testing.B) {
	const flags = 2000
	d := newBenchDB(b, testdb.SQLite, &waffle.Config{Cookie: waffle.CookieConfig{Insecure: true}})
	ctx := b.Context()
	tx := d.gdb.Begin()
	require.NoError(b, tx.Error)
	ts := d.store.WithTx(tx)
	percent := 50.0
	for i := range flags {
		require.NoError(b, ts.SaveFlag(ctx, &waffle.Flag{Name: fmt.Sprintf("f%04d", i), Percent: &percent, Testing: true}))
	}
	require.NoError(b, tx.Commit().Error)

	var cookie strings.Builder
	for i := range flags {
		fmt.Fprintf(&cookie, "dwf_f%04d=True; ", i)
	}
	for i := 0; cookie.Len() < 1<<20; i++ {
		fmt.Fprintf(&cookie, "pad%d=%s; ", i, strings.Repeat("x", 40))
	}
	header := cookie.String()

	handler := d.store.StatusHandler()
	for _, bc := range []struct{ name, cookie string }{
		{"NoHeader", ""},
		{"Header1MB", header},
	} {
		b.Run("db=SQLite/op=Status/case="+bc.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/waffle_status", nil)
				if bc.cookie != "" {
					r.Header.Set("Cookie", bc.cookie)
				}
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
