package bench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

// FlagDetail beside FlagIsActive, call by call: every iteration runs both,
// in alternating order, and the benchmark reports each one's mean time and
// their ratio (issue 15: detail/flag at most 1.05), and the ratio of their
// medians. Interleaving keeps the noise of a shared machine out of the
// ratio.
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
				// Each iteration runs both calls, FlagIsActive first on even
				// iterations and FlagDetail first on odd ones, so that neither
				// always runs on a connection, cache or scheduler slice the
				// other just warmed. detail/flag compares the means;
				// detail/flag-p50 the medians of the same calls, which a
				// neighbour's burst of load moves less.
				var flag, detail []time.Duration
				timed := func(f func(context.Context, string) error, into *[]time.Duration) {
					t0 := time.Now()
					if err := f(ctx, c.flag); err != nil {
						b.Fatal(err)
					}
					*into = append(*into, time.Since(t0))
				}
				isActive := func(ctx context.Context, name string) error { _, err := d.store.FlagIsActive(ctx, name); return err }
				withDetail := func(ctx context.Context, name string) error { _, err := d.store.FlagDetail(ctx, name); return err }
				i := 0
				for b.Loop() {
					if i%2 == 0 {
						timed(isActive, &flag)
						timed(withDetail, &detail)
					} else {
						timed(withDetail, &detail)
						timed(isActive, &flag)
					}
					i++
				}
				flagMean, detailMean := meanNanos(flag), meanNanos(detail)
				b.ReportMetric(flagMean, "flag-ns/op")
				b.ReportMetric(detailMean, "detail-ns/op")
				b.ReportMetric(detailMean/flagMean, "detail/flag")
				b.ReportMetric(medianNanos(detail)/medianNanos(flag), "detail/flag-p50")
			})
		}
	})
}

func meanNanos(v []time.Duration) float64 {
	var sum time.Duration
	for _, d := range v {
		sum += d
	}
	return float64(sum.Nanoseconds()) / float64(len(v))
}

func medianNanos(v []time.Duration) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return float64(v[len(v)/2].Nanoseconds())
}
