package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/internal/testdb"
)

// The audit trail's cost: each write with auditing on beside the same write
// with auditing off, two Stores on one database. The two alternate within
// every iteration (off then on, then on then off), so that the machine's
// drift weighs on both alike: -count repeats a sub-benchmark back to back,
// so two sub-benchmarks impl=Audited and impl=Unaudited would not
// alternate. The one sub-benchmark, impl=Paired, reports the time of each
// (unaudited-ns/op, audited-ns/op) and their ratio (audited/unaudited), over
// which benchstat gives a median and a confidence interval. Targets
// (docs/audit.md): a single write at most 1.5x, SetFromJSON 1.3x, a sync
// 1.1x.
//
//	go test -run '^$' -bench '^BenchmarkAudit$' -count 6 ./bench | benchstat -filter '.unit:audited/unaudited' -
func BenchmarkAudit(b *testing.B) {
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind), func(b *testing.B) {
			if kind == testdb.Postgres {
				testdb.PostgresDSN(b) // skips without a server
			}
			d := newBenchDB(b, kind, nil)
			off, err := waffle.New(d.gdb, &waffle.Config{DisableAudit: true})
			require.NoError(b, err)
			ctx := waffle.WithActor(context.Background(), "bench")

			b.Run("op=Set", func(b *testing.B) {
				n := 0
				benchAuditPair(b, off, d.store, func(s *waffle.Store, label string) error {
					n++ // every call changes the value: an entry each time
					return s.Set(ctx, "bench-set-"+label, strconv.Itoa(n))
				})
			})
			b.Run("op=SaveFlag", func(b *testing.B) {
				n := 0
				benchAuditPair(b, off, d.store, func(s *waffle.Store, label string) error {
					n++
					p := float64(n % 100)
					return s.SaveFlag(ctx, &waffle.Flag{Name: "bench-save-" + label, Percent: &p,
						Users: []string{"u1", "u2", "u3"}, Groups: []string{"bench-save-group"}})
				})
			})
			versions := []bulkVersion{newBulkVersion(b, 0), newBulkVersion(b, 1)}
			for _, changed := range []string{"All", "None"} {
				b.Run("op=SetFromJSON/case=Changed"+changed+"/keys=10000", func(b *testing.B) {
					// Both stores write the same keys. Changed all: every
					// call, whichever store makes it, writes the version
					// the previous call did not, so every value changes.
					// Changed none: always the same version. Every round
					// (-count) starts from the same history: the cost of
					// an entry may depend on how many there are.
					calls := 0
					benchAuditPair(b, off, d.store, func(s *waffle.Store, _ string) error {
						calls++
						v := 0
						if changed == "All" {
							v = calls % 2
						}
						return s.SetFromJSON(ctx, versions[v].blob)
					}, func() { benchAuditHistory(b, d, benchAuditBulkHistory) })
				})
			}
		})
	}

	// SyncMembership of 100,000 windows: a first sync of every flag, its
	// groups emptied before each sync (not timed).
	const windows = 100_000
	active, _ := benchExpect(windows)
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind)+"/op=SyncMembership/windows=100000", func(b *testing.B) {
			if kind == testdb.Postgres {
				testdb.PostgresDSN(b)
			}
			s, clock := syncBenchStore(b, kind, windows)
			offStore, err := waffle.New(s.db, &waffle.Config{Now: clock.Now, DisableAudit: true})
			require.NoError(b, err)
			off := &syncDB{Store: offStore, db: s.db}
			stores := map[*waffle.Store]*syncDB{s.Store: s, offStore: off}
			benchAuditPair(b, offStore, s.Store, func(store *waffle.Store, _ string) error {
				b.StopTimer()
				clock.Set(benchT0)
				benchReset(b, s)
				b.StartTimer()
				benchSync(b, stores[store], active, 0)
				return nil
			})
		})
	}
}

// benchAuditPair runs op on the Store without auditing and on the one with
// it at every iteration, in alternating order, as sub-benchmark
// impl=Paired, and reports the time of each and the ratio. op may stop the
// timer around work it does not charge: only the time between its start and
// its end, less what it stopped, counts.
//
// Each of before, if any, runs (untimed) at the start of every round, after
// the warm-up.
func benchAuditPair(b *testing.B, off, on *waffle.Store, op func(s *waffle.Store, label string) error, before ...func()) {
	b.Helper()
	for _, s := range []*waffle.Store{off, on} { // warm up: connections, statements
		label := "on"
		if s == off {
			label = "off"
		}
		require.NoError(b, op(s, label))
	}
	b.Run("impl=Paired", func(b *testing.B) {
		for _, f := range before {
			f()
		}
		var offTime, onTime time.Duration
		timed := func(s *waffle.Store, label string) time.Duration {
			began := b.Elapsed()
			if err := op(s, label); err != nil {
				b.Fatal(err)
			}
			return b.Elapsed() - began
		}
		runtime.GC()
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				offTime += timed(off, "off")
				onTime += timed(on, "on")
			} else {
				onTime += timed(on, "on")
				offTime += timed(off, "off")
			}
			i++
		}
		b.ReportMetric(float64(offTime.Nanoseconds())/float64(i), "unaudited-ns/op")
		b.ReportMetric(float64(onTime.Nanoseconds())/float64(i), "audited-ns/op")
		b.ReportMetric(float64(onTime)/float64(offTime), "audited/unaudited")
	})
}

// benchAuditBulkHistory is the history every round of BenchmarkAudit's
// SetFromJSON starts from: 20 earlier batches of its 10,000 keys.
const benchAuditBulkHistory = 200_000

// benchAuditHistory replaces d's audit trail with n entries of
// SetFromJSON's keys (bulk-00000 to bulk-09999, in batches of 10,000 in key
// order, as SetFromJSON writes them), and leaves the database settled: on
// SQLite the WAL checkpointed, on PostgreSQL the table vacuumed and analyzed.
func benchAuditHistory(b *testing.B, d *benchDB, n int) {
	b.Helper()
	if d.kind == testdb.SQLite {
		d.exec(b, "DELETE FROM waffle_audit")
		d.exec(b, `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $1 - 1)
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT strftime('%Y-%m-%d %H:%M:%S.000000+00:00', '2026-01-01', '+' || (i / 10000) || ' seconds'), 'bench', 'update',
  'string_flag', printf('bulk-%05d', i % 10000), '{"value":"value-0"}', '{"value":"value-1"}'
FROM seq`, n)
		d.exec(b, "PRAGMA wal_checkpoint(TRUNCATE)")
		return
	}
	d.exec(b, "TRUNCATE waffle_audit")
	d.exec(b, `INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT '2026-01-01'::timestamptz + (i / 10000) * interval '1 second', 'bench', 'update',
  'string_flag', 'bulk-' || lpad((i % 10000)::text, 5, '0'), '{"value":"value-0"}', '{"value":"value-1"}'
FROM generate_series(0, $1 - 1) AS i`, n)
	d.exec(b, "VACUUM ANALYZE waffle_audit")
}

// benchHistoryEntries is the size of the history BenchmarkHistory reads.
const benchHistoryEntries = 1_000_000

const pgLoadHistory = `INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT $1::timestamptz + i * interval '1 second',
  CASE WHEN i % 1000 = 7 THEN 'rare' ELSE 'actor-' || (i % 50) END, 'update',
  (ARRAY['flag','switch','sample','string_flag'])[i % 4 + 1], 'object-' || (i % 10000),
  '{"active":false}', '{"active":true}'
FROM generate_series(0, $2 - 1) AS i`

const liteLoadHistory = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2 - 1)
INSERT INTO waffle_audit (at, actor, action, kind, name, before, after)
SELECT strftime('%Y-%m-%d %H:%M:%S.000000+00:00', ?1, '+' || i || ' seconds'),
  CASE WHEN i % 1000 = 7 THEN 'rare' ELSE 'actor-' || (i % 50) END, 'update',
  CASE i % 4 WHEN 0 THEN 'flag' WHEN 1 THEN 'switch' WHEN 2 THEN 'sample' ELSE 'string_flag' END,
  'object-' || (i % 10000), '{"active":false}', '{"active":true}'
FROM seq`

// sqliteAuditTime is how SQLite's waffle_audit stores a time: fixed-width
// text, so that times compare as text in the order of time.
const sqliteAuditTime = "2006-01-02 15:04:05.000000+00:00"

// BenchmarkHistory reads a page of 50 entries from a history of 1,000,000,
// filtered by name, by actor and by a time range, and first checks with
// EXPLAIN that each page reads its filter's index, never the whole table
// (a time range alone sorts the entries of the range by ID). With
// WAFFLE_EXPLAIN_DIR set, the plans are written there
// (explain-audit-<db>.txt) for docs/audit.md.
func BenchmarkHistory(b *testing.B) {
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind), func(b *testing.B) {
			if kind == testdb.Postgres {
				testdb.PostgresDSN(b)
			}
			d := newBenchDB(b, kind, nil)
			load, analyze := pgLoadHistory, "VACUUM ANALYZE waffle_audit"
			t0 := any(benchT0)
			if kind == testdb.SQLite {
				load, analyze = liteLoadHistory, "SELECT 1"
				t0 = benchT0.Format("2006-01-02 15:04:05")
			}
			began := time.Now()
			_, err := d.sqlDB.Exec(load, t0, benchHistoryEntries)
			require.NoError(b, err)
			_, err = d.sqlDB.Exec(analyze)
			require.NoError(b, err)
			b.Logf("%s: loaded %d entries in %v", kind, benchHistoryEntries, time.Since(began).Round(time.Millisecond))

			ctx := context.Background()
			mid := benchT0.Add(benchHistoryEntries / 2 * time.Second)
			// SQLite's name index leads with a bucket of the id (schema
			// version 5): History searches it once per bucket.
			nameIndex := "waffle_audit_name_idx"
			if kind == testdb.SQLite {
				nameIndex = "waffle_audit_bucket_name_idx"
			}
			cases := []struct {
				label, stmt, index string
				f                  waffle.HistoryFilter
			}{
				{"Name", "history_name", nameIndex, waffle.HistoryFilter{Name: "object-4321", Limit: 50}},
				{"NameKindNextPage", "history_name", nameIndex,
					waffle.HistoryFilter{Name: "object-4321", Kind: "switch", Limit: 50, Before: benchHistoryEntries / 2}},
				{"RareActor", "history_actor", "waffle_audit_actor_idx", waffle.HistoryFilter{Actor: "rare", Limit: 50}},
				// 2% of the entries: PostgreSQL walks the primary key.
				{"CommonActor", "history_actor", "", waffle.HistoryFilter{Actor: "actor-8", Limit: 50}},
				{"TimeRange", "history_time", "waffle_audit_at_idx", waffle.HistoryFilter{Since: mid, Until: mid.Add(time.Hour), Limit: 50}},
				{"Kind", "history", "", waffle.HistoryFilter{Kind: "sample", Limit: 50}},
			}
			var out strings.Builder
			fmt.Fprintf(&out, "%s, %d entries (BenchmarkHistory)\n", testdb.KindName(kind), benchHistoryEntries)
			for _, c := range cases {
				page, err := d.store.History(ctx, c.f)
				require.NoError(b, err)
				require.Len(b, page, 50, c.label)
				plan := historyPlan(b, d, c.stmt, c.f)
				fmt.Fprintf(&out, "\n== %s (%s)\n%s", c.label, c.stmt, plan)
				if c.index != "" {
					require.Contains(b, plan, c.index, "%s: not through its index:\n%s", c.label, plan)
				}
				require.NotRegexp(b, `Seq Scan|SCAN waffle_audit\b`, plan, "%s reads the whole table:\n%s", c.label, plan)
			}
			if dir := os.Getenv(EnvExplainDir); dir != "" {
				require.NoError(b, os.WriteFile(filepath.Join(dir, "explain-audit-"+kind+".txt"), []byte(out.String()), 0o644))
			}
			for _, c := range cases {
				b.Run("op=History/case="+c.label, func(b *testing.B) {
					for b.Loop() {
						if _, err := d.store.History(ctx, c.f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// historyPlan returns the plan of History's statement stmt for f: SQLite's
// EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN ANALYZE of the statement
// prepared and executed with f's values (the custom plan it runs with; see
// the history statement in internal/query/postgres/audit.sql).
func historyPlan(b *testing.B, d *benchDB, stmt string, f waffle.HistoryFilter) string {
	b.Helper()
	before := int64(1 << 62)
	if f.Before > 0 {
		before = f.Before
	}
	at := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		if d.kind == testdb.SQLite {
			return t.UTC().Format(sqliteAuditTime)
		}
		return t.UTC()
	}
	args := []any{before, f.Kind, f.Name, f.Actor, at(f.Since), at(f.Until), f.Limit}
	if d.kind == testdb.SQLite && stmt == "history_name" {
		// One bucket's search, the newest below the cursor: History runs
		// the same plan for each bucket down until the page is full.
		var last int64
		require.NoError(b, d.sqlDB.QueryRow("SELECT max(id) FROM waffle_audit WHERE id < ?", before).Scan(&last))
		args = append(args, last>>16)
	}
	q := query.For(d.store.Dialect()).SQL(stmt)
	var rowsText strings.Builder
	lastColumn := func(rows *sql.Rows) error {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fmt.Fprintln(&rowsText, vals[len(cols)-1])
		return nil
	}
	ctx := context.Background()
	if d.kind == testdb.SQLite {
		scanEach(ctx, b, d.sqlDB, "EXPLAIN QUERY PLAN "+q, args, lastColumn)
		return rowsText.String()
	}
	conn, err := d.sqlDB.Conn(ctx)
	require.NoError(b, err)
	defer conn.Close()
	types := "(bigint, text, text, text, timestamptz, timestamptz, int)"
	_, err = conn.ExecContext(ctx, "PREPARE waffle_history"+types+" AS "+q)
	require.NoError(b, err)
	defer func() { _, _ = conn.ExecContext(ctx, "DEALLOCATE waffle_history") }()
	scanEach(ctx, b, conn, "EXPLAIN (ANALYZE, COSTS OFF) EXECUTE waffle_history("+pgLiterals(args)+")", nil, lastColumn)
	return rowsText.String()
}
