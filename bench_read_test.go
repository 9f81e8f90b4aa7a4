package waffle

import (
	"testing"
)

// Reads: the library beside a prepared hand-written statement (Baseline) and
// GORM by hand (Naive), on the benchmarks' data. See bench_fixture_test.go.
// One benchmark function, so that the data is written once per database.
func BenchmarkRead(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		b.Run("op=SwitchIsActive", func(b *testing.B) { benchSwitchIsActive(b, d) })
	})
}

func benchSwitchIsActive(b *testing.B, d *benchDB) {
	ctx := benchCtx(b)
	stmt := d.prepare(b, "SELECT active FROM waffle_switch WHERE name = $1")
	for _, c := range []struct {
		name, sw string
		want     bool
	}{
		{"Hit", benchSwitch, true},
		{"Missing", benchMissing, false},
	} {
		b.Run("case="+c.name, func(b *testing.B) {
			benchImpls(b, c.want,
				impl[bool]{"Baseline", func() (bool, error) {
					return baselineSwitchIsActive(ctx, stmt, c.sw)
				}},
				impl[bool]{"Library", func() (bool, error) {
					return d.store.SwitchIsActive(ctx, c.sw)
				}},
				impl[bool]{"Naive", func() (bool, error) {
					var sw naiveSwitch
					found, err := noRows(d.gdb.WithContext(ctx).Where("name = ?", c.sw).First(&sw).Error)
					return found && sw.Active, err
				}},
			)
		})
	}
}
