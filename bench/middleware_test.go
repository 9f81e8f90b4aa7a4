package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// BenchmarkMiddleware measures what the middleware adds to a request, on
// SQLite: Bare is the handler alone, NoFlag the middleware around a handler
// that evaluates nothing, PercentCookie a handler that evaluates one percent
// flag whose cookie the request carries (read, memo, cookie written).
func BenchmarkMiddleware(b *testing.B) {
	s := newStore(b, testdb.SQLite, nil)
	percent := 50.0
	require.NoError(b, s.SaveFlag(b.Context(), &waffle.Flag{Name: "pf", Percent: &percent}))

	nothing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	evaluate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.FlagIsActive(r.Context(), "pf"); err != nil {
			b.Error(err)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for _, bc := range []struct {
		name    string
		handler http.Handler
	}{
		{"Bare", nothing},
		{"NoFlag", s.Middleware(nothing)},
		{"PercentCookie", s.Middleware(evaluate)},
	} {
		b.Run("db=SQLite/case="+bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", "dwf_pf=True; session=abc")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bc.handler.ServeHTTP(w, r)
			}
		})
	}
}
