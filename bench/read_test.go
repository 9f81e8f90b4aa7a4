package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/bucket"
)

// Reads: the library beside a prepared hand-written statement (Baseline) and
// GORM by hand (Naive), on the benchmarks' data. See fixture_test.go.
// One benchmark function, so that the data is written once per database.
func BenchmarkRead(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		b.Run("op=SwitchIsActive", func(b *testing.B) { benchSwitchIsActive(b, d) })
		b.Run("op=SampleIsActive", func(b *testing.B) { benchSampleIsActive(b, d) })
		b.Run("op=Get", func(b *testing.B) { benchGet(b, d) })
		b.Run("op=FlagIsActive", func(b *testing.B) { benchFlagIsActive(b, d) })
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

func benchSampleIsActive(b *testing.B, d *benchDB) {
	ctx := benchCtx(b)
	stmt := d.prepare(b, "SELECT percent FROM waffle_sample WHERE name = $1")
	for _, c := range []struct {
		name, sample string
		want         bool
	}{
		{"Hit", benchSample, true}, // percent 100: on at every draw
		{"Missing", benchMissing, false},
	} {
		b.Run("case="+c.name, func(b *testing.B) {
			benchImpls(b, c.want,
				impl[bool]{"Baseline", func() (bool, error) {
					return baselineSampleIsActive(ctx, stmt, c.sample)
				}},
				impl[bool]{"Library", func() (bool, error) {
					return d.store.SampleIsActive(ctx, c.sample)
				}},
				impl[bool]{"Naive", func() (bool, error) {
					var sm naiveSample
					found, err := noRows(d.gdb.WithContext(ctx).Where("name = ?", c.sample).First(&sm).Error)
					return found && rand.Float64()*100 < sm.Percent, err
				}},
			)
		})
	}
}

func benchGet(b *testing.B, d *benchDB) {
	ctx := benchCtx(b)
	stmt := d.prepare(b, "SELECT value FROM waffle_string_flag WHERE name = $1")
	for _, c := range []struct {
		name, flag string
		want       strAnswer
	}{
		{"Hit", benchString, strAnswer{true, "blue"}},
		{"Missing", benchMissing, strAnswer{}},
	} {
		b.Run("case="+c.name, func(b *testing.B) {
			benchImpls(b, c.want,
				impl[strAnswer]{"Baseline", func() (strAnswer, error) {
					return baselineGet(ctx, stmt, c.flag)
				}},
				impl[strAnswer]{"Library", func() (strAnswer, error) {
					v, err := d.store.Get(ctx, c.flag)
					return strAnswer{v.Found(), v.String()}, err
				}},
				impl[strAnswer]{"Naive", func() (strAnswer, error) {
					var f naiveStringFlag
					found, err := noRows(d.gdb.WithContext(ctx).Where("name = ?", c.flag).First(&f).Error)
					if !found || f.Value == nil {
						return strAnswer{}, err
					}
					return strAnswer{true, *f.Value}, err
				}},
			)
		})
	}
}

func benchFlagIsActive(b *testing.B, d *benchDB) {
	stmt := d.prepare(b, baselineFlagSQL(d.kind))
	type flagCase struct {
		name, flag string
		user       waffle.User
	}
	// 10 and 10,000 listed users one after the other, so that their ratio
	// is measured moments apart too.
	var cases []flagCase
	for _, who := range []struct{ name, id string }{{"GroupMatch", benchGroupedUsr}, {"Bucket", benchStranger}} {
		for _, users := range []int{benchSmallUsers, benchLargeUsers} {
			cases = append(cases, flagCase{fmt.Sprintf("%s/users=%d", who.name, users), benchFlag(users), waffle.User{ID: who.id, Authenticated: true}})
		}
	}
	cases = append(cases, flagCase{"Missing", benchMissing, waffle.User{ID: benchGroupedUsr, Authenticated: true}})
	for _, c := range cases {
		b.Run("case="+c.name, func(b *testing.B) {
			ctx := waffle.WithUser(benchCtx(b), c.user)
			want := strings.HasPrefix(c.name, "GroupMatch") ||
				strings.HasPrefix(c.name, "Bucket") && bucket.Percent(c.flag, c.user.ID) < benchFlagPercent
			benchImpls(b, want,
				impl[bool]{"Baseline", func() (bool, error) {
					return baselineFlagIsActive(ctx, stmt, c.flag, &c.user)
				}},
				impl[bool]{"Library", func() (bool, error) {
					return d.store.FlagIsActive(ctx, c.flag)
				}},
				// The same evaluation with its reason (issue 15: at most
				// 1.05x Library).
				impl[bool]{"Detail", func() (bool, error) {
					det, err := d.store.FlagDetail(ctx, c.flag)
					return det.Active, err
				}},
				impl[bool]{"Naive", func() (bool, error) {
					return naiveFlagIsActive(d.gdb.WithContext(ctx), c.flag, &c.user)
				}},
			)
		})
	}
}
