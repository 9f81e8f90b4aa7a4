package waffle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Reads: the library beside a prepared hand-written statement (Baseline) and
// GORM by hand (Naive). See bench_fixture_test.go.

func BenchmarkSwitchIsActive(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		ctx := benchCtx(b)
		require.NoError(b, d.store.SetSwitch(ctx, "bench-switch", true))
		for _, name := range benchNames("other-switch", 100) {
			require.NoError(b, d.store.SetSwitch(ctx, name, false))
		}
		stmt := d.prepare(b, "SELECT active FROM waffle_switch WHERE name = $1")
		for _, c := range []struct {
			name, sw string
			want     bool
		}{
			{"Hit", "bench-switch", true},
			{"Missing", "bench-missing", false},
		} {
			b.Run("case="+c.name, func(b *testing.B) {
				benchImpls(b, c.want,
					impl[bool]{"Baseline", func() (bool, error) {
						var active bool
						found, err := noRows(stmt.QueryRowContext(ctx, c.sw).Scan(&active))
						return found && active, err
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
	})
}
