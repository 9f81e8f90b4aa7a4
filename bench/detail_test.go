package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

// FlagDetail beside FlagIsActive, call by call: every iteration runs both,
// in alternating order, and the benchmark reports each one's time and their
// ratio (issue 15: detail/flag at most 1.05). Interleaving keeps the noise of
// a shared machine out of the ratio.
func BenchmarkFlagDetail(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		for _, c := range []struct {
			name, flag string
			user       waffle.User
		}{
			{"GroupMatch", benchFlag(benchSmallUsers), waffle.User{ID: benchGroupedUsr, Authenticated: true}},
			{"Bucket", benchFlag(benchSmallUsers), waffle.User{ID: benchStranger, Authenticated: true}},
			{"GroupNames", benchFlag(benchSmallUsers), waffle.User{ID: benchStranger, Groups: []string{benchGroupedIn, "other"}}},
			{"Anonymous", benchFlag(benchSmallUsers), waffle.User{}},
			{"Missing", benchMissing, waffle.User{ID: benchGroupedUsr}},
		} {
			b.Run("case="+c.name, func(b *testing.B) {
				ctx := benchCtx(b)
				if c.user.ID != "" || len(c.user.Groups) > 0 {
					ctx = waffle.WithUser(ctx, c.user)
				}
				want, err := d.store.FlagIsActive(ctx, c.flag)
				require.NoError(b, err)
				det, err := d.store.FlagDetail(ctx, c.flag)
				require.NoError(b, err)
				if c.user.ID != "" { // an anonymous visitor's draw differs from call to call
					require.Equal(b, want, det.Active, "FlagDetail answers as FlagIsActive")
				}
				var flag, detail time.Duration
				i := 0
				for b.Loop() {
					runFlag := func() {
						t0 := time.Now()
						if _, err := d.store.FlagIsActive(ctx, c.flag); err != nil {
							b.Fatal(err)
						}
						flag += time.Since(t0)
					}
					runDetail := func() {
						t0 := time.Now()
						if _, err := d.store.FlagDetail(ctx, c.flag); err != nil {
							b.Fatal(err)
						}
						detail += time.Since(t0)
					}
					if i%2 == 0 {
						runFlag()
						runDetail()
					} else {
						runDetail()
						runFlag()
					}
					i++
				}
				b.ReportMetric(float64(flag.Nanoseconds())/float64(i), "flag-ns/op")
				b.ReportMetric(float64(detail.Nanoseconds())/float64(i), "detail-ns/op")
				b.ReportMetric(float64(detail)/float64(flag), "detail/flag")
			})
		}
	})
}
