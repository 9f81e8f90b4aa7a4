package bench

import (
	"testing"

	"github.com/gowaffle/waffle"
)

// benchReaders is the number of goroutines reading at once.
const benchReaders = 16

// 16 goroutines reading at once through the same pool: the library beside
// the baseline. ns/op is the inverse of the throughput; nothing in the
// library may serialise readers.
func BenchmarkParallelRead(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		ctx := benchCtx(b)
		b.Run("op=SwitchIsActive", func(b *testing.B) {
			stmt := d.prepare(b, "SELECT active FROM waffle_switch WHERE name = $1")
			benchParallel(b, benchReaders, true,
				impl[bool]{"Baseline", func() (bool, error) {
					return baselineSwitchIsActive(ctx, stmt, benchSwitch)
				}},
				impl[bool]{"Library", func() (bool, error) {
					return d.store.SwitchIsActive(ctx, benchSwitch)
				}},
			)
		})
		b.Run("op=FlagIsActive/case=GroupMatch/users=10000", func(b *testing.B) {
			stmt := d.prepare(b, baselineFlagSQL(d.kind))
			u := waffle.User{ID: benchGroupedUsr, Authenticated: true}
			uctx := waffle.WithUser(ctx, u)
			benchParallel(b, benchReaders, true,
				impl[bool]{"Baseline", func() (bool, error) {
					return baselineFlagIsActive(uctx, stmt, benchFlag(benchLargeUsers), &u)
				}},
				impl[bool]{"Library", func() (bool, error) {
					return d.store.FlagIsActive(uctx, benchFlag(benchLargeUsers))
				}},
			)
		})
	})
}
