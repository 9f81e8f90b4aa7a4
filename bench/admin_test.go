package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
	"github.com/gowaffle/waffle/waffleadmin"
)

// BenchmarkAdmin measures the admin's two biggest pages as the server
// renders them (ServeHTTP into a recorder, no network): the flag list with
// 10,000 flags and the page of a flag with 100,000 users. The target is
// under 50 ms on SQLite. stmts/op is the statements each page sends.
func BenchmarkAdmin(b *testing.B) {
	const flags, users = 10_000, 100_000
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind), func(b *testing.B) {
			ctx := context.Background()
			gdb, counter := testdb.New(b, kind).OpenCounting(b)
			s := migratedStore(b, gdb, nil)
			rows := make([]waffle.Flag, flags)
			for i := range rows {
				p := float64(i % 100)
				rows[i] = waffle.Flag{Name: fmt.Sprintf("flag-%05d", i), Percent: &p, Testing: i%3 == 0,
					Note: "a note about flag " + fmt.Sprint(i), Languages: waffle.LanguageList{"en", "fr"}}
			}
			require.NoError(b, gdb.CreateInBatches(&rows, 500).Error)
			ids := make([]string, users)
			for i := range ids {
				ids[i] = fmt.Sprintf("user-%06d", i)
			}
			require.NoError(b, s.AddFlagUsers(ctx, "flag-00000", ids...))

			h, err := waffleadmin.New(s, waffleadmin.Config{
				Authorize: func(*http.Request) (string, waffleadmin.Permission, error) { return "bench", waffleadmin.Edit, nil },
			})
			require.NoError(b, err)
			for _, pg := range []struct{ name, path, want string }{
				{"FlagList10kFlags", "/flags", "Page 1 of 200"},
				{"FlagList10kFlagsSorted", "/flags?sort=modified&dir=desc&page=3", "Page 3 of 200"},
				{"FlagList10kFlagsSearch", "/flags?q=flag-0999&testing=yes", "flag-09999"},
				{"FlagPage100kUsers", "/flag?name=flag-00000", "100000"},
				{"FlagPage100kUsersSearch", "/flag?name=flag-00000&uq=user-0999", "user-099949"},
			} {
				b.Run("page="+pg.name, func(b *testing.B) {
					serve := func() *httptest.ResponseRecorder {
						w := httptest.NewRecorder()
						h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, pg.path, nil))
						return w
					}
					w := serve()
					require.Equal(b, http.StatusOK, w.Code)
					require.Contains(b, w.Body.String(), pg.want)
					counter.Reset()
					b.ResetTimer()
					for b.Loop() {
						serve()
					}
					b.ReportMetric(float64(counter.Count())/float64(b.N), "stmts/op")
				})
			}
		})
	}
}
