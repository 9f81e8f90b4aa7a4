package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
pkg: github.com/gowaffle/waffle
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Baseline-2   100  1000 ns/op  800 B/op  20 allocs/op
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Library-2    100  1100 ns/op  800 B/op  20 allocs/op
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Naive-2      100  5500 ns/op  900 B/op  90 allocs/op
BenchmarkRead/db=Postgres/op=FlagIsActive/case=Bucket/users=10/impl=Baseline-2     10  100 ns/op  1 B/op  10 allocs/op
BenchmarkRead/db=Postgres/op=FlagIsActive/case=Bucket/users=10/impl=Library-2      10  100 ns/op  1 B/op  10 allocs/op
BenchmarkRead/db=Postgres/op=FlagIsActive/case=Bucket/users=10000/impl=Baseline-2  10  100 ns/op  1 B/op  10 allocs/op
BenchmarkRead/db=Postgres/op=FlagIsActive/case=Bucket/users=10000/impl=Library-2   10  130 ns/op  1 B/op  16 allocs/op
BenchmarkRead/db=Postgres/op=FlagIsActive/case=Bucket/users=10000/impl=Naive-2     10  260 ns/op  1 B/op  99 allocs/op
BenchmarkParallelRead/db=Postgres/op=SwitchIsActive/impl=Baseline-2  10  100 ns/op  16.00 goroutines  1 B/op  1 allocs/op
BenchmarkParallelRead/db=Postgres/op=SwitchIsActive/impl=Library-2   10  120 ns/op  16.00 goroutines  1 B/op  1 allocs/op
PASS
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Baseline-2   100  1000 ns/op  800 B/op  20 allocs/op
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Library-2    100  1300 ns/op  800 B/op  20 allocs/op
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Baseline-2   100  1000 ns/op  800 B/op  20 allocs/op
BenchmarkRead/db=SQLite/op=SwitchIsActive/case=Hit/impl=Library-2    100  1200 ns/op  800 B/op  20 allocs/op
`

func TestParseAndCheck(t *testing.T) {
	set, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	sw := set.byName["Read/db=SQLite/op=SwitchIsActive/case=Hit"]
	require.NotNil(t, sw)
	require.Equal(t, []string{"Baseline", "Library", "Naive"}, sw.order)
	require.Equal(t, []float64{1100, 1300, 1200}, sw.values("Library", "ns/op"), "one value per round")
	r, ok := sw.ratio("Library", "Baseline", "ns/op")
	require.True(t, ok)
	require.InDelta(t, 1.2, r.value, 1e-9, "median of the per-round ratios")
	require.InDelta(t, 1.1, r.lo, 1e-9)
	require.InDelta(t, 1.3, r.hi, 1e-9)

	got := map[string]bool{}
	for _, c := range checks(set) {
		got[c.target+" | "+c.db+" | "+c.subject] = c.met
	}
	require.Equal(t, map[string]bool{
		"read time ≤ 1.25× baseline | SQLite | SwitchIsActive case=Hit":                                true,
		"read allocs ≤ 1.5× baseline | SQLite | SwitchIsActive case=Hit":                               true,
		"read time ≤ 1.25× baseline | Postgres | FlagIsActive case=Bucket users=10":                    true,
		"read allocs ≤ 1.5× baseline | Postgres | FlagIsActive case=Bucket users=10":                   true,
		"read time ≤ 1.25× baseline | Postgres | FlagIsActive case=Bucket users=10000":                 false,
		"read allocs ≤ 1.5× baseline | Postgres | FlagIsActive case=Bucket users=10000":                false,
		"large flag ≥ 3× faster than naive GORM | Postgres | FlagIsActive case=Bucket users=10000":     false,
		"10,000 vs 10 listed users within 1.2× | Postgres | FlagIsActive case=Bucket users=10000":      false,
		"16 readers on PostgreSQL ≥ 80% of baseline throughput | Postgres | SwitchIsActive, parallel ": true,
	}, got)
}

func TestParseRejectsBadValues(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkX/impl=Library-2 10 abc ns/op\n"))
	require.Error(t, err)
}
