package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowaffle/waffle/internal/query"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
	"github.com/gowaffle/waffle/internal/testdb"
)

// The membership sync at scale. See BENCHMARKS.md for how to run it and
// what it measured:
//
//	WAFFLE_BENCH_SCALE=1000000 go test -run '^$' -bench 'SyncMembership/SQLite' -benchtime 1x -timeout 60m
//
// WAFFLE_BENCH_SCALE is the number of windows (default 10,000, so that a
// plain `go test -bench .` stays quick), over benchFlags flags, about 70%
// active. WAFFLE_BENCH_EXPLAIN=1 also logs the query plans of the sync's
// statements for one flag.

const (
	benchFlags        = 100
	benchDefaultScale = 10_000
	benchNaiveScale   = 100_000 // the naive comparison's size (or the scale, when smaller)
	benchSetBasedRuns = 5       // runs of the set-based sync per iteration of the naive comparison
)

// benchT0 is the benchmark's "now": a whole second, so the times SQLite
// stores as text are the same whether Go or SQL wrote them.
var benchT0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// benchT1 is after the 1% of windows that end at T0+1h.
var benchT1 = benchT0.Add(2 * time.Hour)

func benchScale(b *testing.B) int {
	b.Helper()
	v := os.Getenv("WAFFLE_BENCH_SCALE")
	if v == "" {
		return benchDefaultScale
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n < benchFlags {
		b.Fatalf("WAFFLE_BENCH_SCALE=%q: want a number of windows >= %d", v, benchFlags)
	}
	return n
}

// benchClass is the kind of window i of the generated data: the same
// formula as the loaders' SQL. For flag k = i % flags and user u = i / flags,
// it is (37u + k) % 100, uniform over the users of every flag.
func benchClass(i int) int { return ((i/benchFlags)*37 + i) % 100 }

// benchExpect is how many windows (one per user and flag, so also users) are
// active at T0, and how many of them end before T1.
func benchExpect(n int) (active, expiring int) {
	for i := range n {
		switch c := benchClass(i); {
		case c < 69:
			active++
		case c == 69:
			active++
			expiring++
		}
	}
	return active, expiring
}

// Window classes by c = benchClass(i): c < 60 active and open-ended; 60..68
// active for 30 more days; 69 active and ending at T0+1h (the 1% that
// expire); 70..84 expired; 85..99 in the future.
const pgLoadFlags = `INSERT INTO waffle_flag (name, created, modified)
SELECT 'bench-' || lpad(k::text, 3, '0'), $1, $1 FROM generate_series(0, $2 - 1) k`

const pgLoadWindows = `INSERT INTO waffle_flag_member (flag_id, user_id, start_at, end_at, note, created)
SELECT f.id, 'user-' || (g.i / $2),
  CASE WHEN g.c < 70 THEN $3::timestamptz WHEN g.c < 85 THEN $6::timestamptz ELSE $7::timestamptz END,
  CASE WHEN g.c < 60 THEN NULL WHEN g.c < 69 THEN $4::timestamptz WHEN g.c = 69 THEN $5::timestamptz
       WHEN g.c < 85 THEN $3::timestamptz ELSE $8::timestamptz END,
  '', $9::timestamptz
FROM (SELECT i, ((i / $2) * 37 + i) % 100 AS c FROM generate_series(0, $1 - 1) i) g
JOIN waffle_flag f ON f.name = 'bench-' || lpad((g.i % $2)::text, 3, '0')`

const liteLoadFlags = `WITH RECURSIVE seq(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM seq WHERE k < ?2 - 1)
INSERT INTO waffle_flag (name, created, modified)
SELECT 'bench-' || substr('000' || k, -3), ?1, ?1 FROM seq`

const liteLoadWindows = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1 - 1)
INSERT INTO waffle_flag_member (flag_id, user_id, start_at, end_at, note, created)
SELECT f.id, 'user-' || (g.i / ?2),
  CASE WHEN g.c < 70 THEN ?3 WHEN g.c < 85 THEN ?6 ELSE ?7 END,
  CASE WHEN g.c < 60 THEN NULL WHEN g.c < 69 THEN ?4 WHEN g.c = 69 THEN ?5
       WHEN g.c < 85 THEN ?3 ELSE ?8 END,
  '', ?9
FROM (SELECT i, ((i / ?2) * 37 + i) % 100 AS c FROM seq) g
JOIN waffle_flag f ON f.name = 'bench-' || substr('000' || (g.i % ?2), -3)`

// benchLoad fills a migrated database with n windows over benchFlags flags,
// with set-based SQL.
func benchLoad(b testing.TB, s *syncDB, n int) {
	b.Helper()
	ctx := context.Background()
	db, err := s.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	flags, windows := pgLoadFlags, pgLoadWindows
	if s.Dialect() == "sqlite" {
		flags, windows = liteLoadFlags, liteLoadWindows
	}
	day := 24 * time.Hour
	began := time.Now()
	if _, err := db.ExecContext(ctx, flags, benchT0, benchFlags); err != nil {
		b.Fatalf("loading flags: %v", err)
	}
	if _, err := db.ExecContext(ctx, windows, n, benchFlags,
		benchT0.Add(-day), benchT0.Add(30*day), benchT0.Add(time.Hour),
		benchT0.Add(-10*day), benchT0.Add(day), benchT0.Add(10*day), benchT0); err != nil {
		b.Fatalf("loading windows: %v", err)
	}
	// PostgreSQL's autovacuum would soon vacuum and analyze the new rows
	// (which lets index-only scans skip the table); do it now. Most
	// applications never ANALYZE a SQLite file: plan without statistics,
	// as they would.
	analyze := "VACUUM ANALYZE"
	if s.Dialect() == "sqlite" {
		analyze = "SELECT 1"
	}
	if _, err := db.ExecContext(ctx, analyze); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: loaded %d windows over %d flags in %v", s.Dialect(), n, benchFlags, time.Since(began).Round(time.Millisecond))
}

// benchReset empties every group, as before a first sync.
func benchReset(b *testing.B, s *syncDB) {
	b.Helper()
	for _, q := range []string{"DELETE FROM waffle_group_member", "DELETE FROM waffle_flag_group", "DELETE FROM waffle_group"} {
		if err := s.db.Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	// The reset's own writes are not charged to the sync that follows:
	// PostgreSQL's dead rows are vacuumed, SQLite's log is checkpointed (the
	// sync would otherwise copy the reset's pages into the database file).
	q := "VACUUM ANALYZE waffle_group_member"
	if s.Dialect() == "sqlite" {
		q = "PRAGMA wal_checkpoint(TRUNCATE)"
	}
	if err := s.db.Exec(q).Error; err != nil {
		b.Fatal(err)
	}
}

// syncBenchStore is a migrated store with n windows loaded, and its clock.
func syncBenchStore(b *testing.B, kind string, n int) (*syncDB, *benchClock) {
	b.Helper()
	clock := &benchClock{t: benchT0}
	s := newSyncDB(b, testdb.New(b, kind), &waffle.Config{Now: clock.Now})
	benchLoad(b, s, n)
	return s, clock
}

// syncDB is a Store with the handle it is built on, which the benchmarks
// load, reset and explain through.
type syncDB struct {
	*waffle.Store
	db *gorm.DB
}

// newSyncDB returns a migrated Store on a new handle on db.
func newSyncDB(tb testing.TB, db *testdb.DB, cfg *waffle.Config) *syncDB {
	tb.Helper()
	gdb := db.Open(tb)
	return &syncDB{Store: migratedStore(tb, gdb, cfg), db: gdb}
}

// benchClock is the stores' clock, which a benchmark moves.
type benchClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *benchClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *benchClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// heapPeak samples the heap in use while a sync runs.
type heapPeak struct {
	base uint64
	peak uint64
	stop chan struct{}
	done sync.WaitGroup
}

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{base: heapInUse(), stop: make(chan struct{})}
	h.peak = h.base
	h.done.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := heapInUse(); v > h.peak {
				h.peak = v
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	})
	return h
}

// Stop returns the peak growth of the heap over its size at the start, in MB.
func (h *heapPeak) Stop() float64 {
	close(h.stop)
	h.done.Wait()
	if v := heapInUse(); v > h.peak {
		h.peak = v
	}
	return float64(h.peak-h.base) / 1e6
}

func benchSync(b *testing.B, s *syncDB, wantAdded, wantRemoved int) waffle.SyncResult {
	b.Helper()
	res, err := s.SyncMembership(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Flags) != benchFlags {
		b.Fatalf("synced %d flags, want %d", len(res.Flags), benchFlags)
	}
	if _, added, removed := res.Totals(); added != wantAdded || removed != wantRemoved {
		b.Fatalf("added %d, removed %d; want %d and %d", added, removed, wantAdded, wantRemoved)
	}
	return res
}

func BenchmarkSyncMembership(b *testing.B) {
	n := benchScale(b)
	active, expiring := benchExpect(n)
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind), func(b *testing.B) {
			if kind == testdb.Postgres {
				testdb.PostgresDSN(b) // skips without a server
			}
			s, clock := syncBenchStore(b, kind, n)

			b.Run(fmt.Sprintf("case=Full/windows=%d", n), func(b *testing.B) {
				var heap float64
				for b.Loop() {
					b.StopTimer()
					clock.Set(benchT0)
					benchReset(b, s)
					peak := startHeapPeak()
					b.StartTimer()
					benchSync(b, s, active, 0)
					b.StopTimer()
					heap = max(heap, peak.Stop())
					b.StartTimer()
				}
				b.ReportMetric(heap, "peak-heap-MB")
				b.ReportMetric(float64(active), "added/op")
			})

			b.Run(fmt.Sprintf("case=NoChange/windows=%d", n), func(b *testing.B) {
				clock.Set(benchT0)
				if _, err := s.SyncMembership(context.Background()); err != nil {
					b.Fatal(err)
				}
				var heap float64
				for b.Loop() {
					b.StopTimer()
					peak := startHeapPeak()
					b.StartTimer()
					benchSync(b, s, 0, 0) // fails unless it wrote nothing
					b.StopTimer()
					heap = max(heap, peak.Stop())
					b.StartTimer()
				}
				b.ReportMetric(heap, "peak-heap-MB")
				b.ReportMetric(0, "written/op")
			})

			b.Run(fmt.Sprintf("case=Expire1pct/windows=%d", n), func(b *testing.B) {
				var heap float64
				for b.Loop() {
					b.StopTimer()
					clock.Set(benchT0)
					if _, err := s.SyncMembership(context.Background()); err != nil {
						b.Fatal(err)
					}
					clock.Set(benchT1)
					peak := startHeapPeak()
					b.StartTimer()
					res := benchSync(b, s, 0, expiring)
					b.StopTimer()
					for _, f := range res.Flags {
						if f.Full {
							b.Fatalf("flag %s: compared in full, want the windows that crossed only", f.Flag)
						}
					}
					heap = max(heap, peak.Stop())
					b.StartTimer()
				}
				b.ReportMetric(heap, "peak-heap-MB")
				b.ReportMetric(float64(expiring), "removed/op")
			})

			// The same change with every flag marked for a full comparison, as
			// after a write to its windows: what every sync cost before
			// waffle_flag_sync, for comparison with Expire1pct.
			b.Run(fmt.Sprintf("case=Expire1pctFullCompare/windows=%d", n), func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					clock.Set(benchT0)
					if _, err := s.SyncMembership(context.Background()); err != nil {
						b.Fatal(err)
					}
					if err := s.db.Exec("UPDATE waffle_flag_sync SET dirty = TRUE").Error; err != nil {
						b.Fatal(err)
					}
					clock.Set(benchT1)
					b.StartTimer()
					res := benchSync(b, s, 0, expiring)
					for _, f := range res.Flags {
						if !f.Full {
							b.Fatalf("flag %s: not compared in full", f.Flag)
						}
					}
				}
				b.ReportMetric(float64(expiring), "removed/op")
			})

			if os.Getenv("WAFFLE_BENCH_EXPLAIN") != "" {
				clock.Set(benchT0) // synced at T0, explained at T1: 1% to remove
				if _, err := s.SyncMembership(context.Background()); err != nil {
					b.Fatal(err)
				}
				explainSync(b, s)
			}
		})

		// The set-based sync against a naive one that loads the active users
		// into Go and inserts them one by one, on a smaller database, with
		// commits that wait for the disk and commits that do not.
		b.Run("db="+testdb.KindName(kind)+"/case=NaiveVsSetBased", func(b *testing.B) {
			if kind == testdb.Postgres {
				testdb.PostgresDSN(b)
			}
			small := min(n, benchNaiveScale)
			db := testdb.New(b, kind)
			benchLoad(b, newSyncDB(b, db, nil), small)
			smallActive, _ := benchExpect(small)
			for _, commit := range []string{"durable", "fast"} {
				b.Run("commit="+commit, func(b *testing.B) {
					s := benchCommitStore(b, db, commit)
					// Each implementation's time is the mean of its runs. The
					// set-based sync runs benchSetBasedRuns times per
					// iteration: one of its runs is short enough (about a
					// tenth of a second) for this machine's noise to swing it
					// by a third, where the naive ones' seconds average it
					// out.
					impls := []struct {
						name string
						runs int
						sync func() int
					}{
						{"setbased", benchSetBasedRuns, func() int {
							_, added, _ := benchSync(b, s, smallActive, 0).Totals()
							return added
						}},
						{"naive-sql", 1, func() int { return naiveSync(b, s, benchT0) }},
						{"naive-gorm", 1, func() int { return naiveGormSync(b, s, benchT0) }},
					}
					took := make([]time.Duration, len(impls))
					runs := make([]int, len(impls))
					heap := make([]float64, len(impls))
					for b.Loop() {
						for i, impl := range impls {
							for range impl.runs {
								b.StopTimer()
								benchReset(b, s)
								peak := startHeapPeak()
								b.StartTimer()
								began := time.Now()
								if got := impl.sync(); got != smallActive {
									b.Fatalf("%s added %d, want %d", impl.name, got, smallActive)
								}
								took[i] += time.Since(began)
								runs[i]++
								heap[i] = max(heap[i], peak.Stop())
							}
						}
					}
					mean := func(i int) float64 { return took[i].Seconds() / float64(runs[i]) }
					b.ReportMetric(float64(small), "windows")
					for i, impl := range impls {
						b.ReportMetric(mean(i)*1000, impl.name+"-ms/run")
						b.ReportMetric(heap[i], impl.name+"-peak-heap-MB")
						if i > 0 {
							b.ReportMetric(mean(i)/mean(0), "speedup-vs-"+impl.name)
						}
					}
				})
			}
		})
	}
}

// benchCommitStore opens a store on db whose commits are durable
// (PostgreSQL's default, synchronous_commit=on; SQLite's synchronous=FULL)
// or fast (PostgreSQL's synchronous_commit=off; SQLite's synchronous=NORMAL
// in WAL mode, this library's own setting and mattn/go-sqlite3's default in
// WAL mode), and logs the settings it got. A PostgreSQL server started with
// fsync=off (as the test server is) makes no commit durable: the log says so.
func benchCommitStore(b *testing.B, db *testdb.DB, commit string) *syncDB {
	b.Helper()
	var (
		dialector gorm.Dialector
		settings  string
	)
	if db.Kind == testdb.Postgres {
		dsn := db.DSN
		if commit == "fast" {
			dsn = testdb.WithParam(dsn, "synchronous_commit", "off")
		}
		dialector = postgres.New(postgres.Config{DSN: dsn})
		settings = "SELECT 'fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit') || ' full_page_writes=' || current_setting('full_page_writes')"
	} else {
		dsn := dbopen.SQLiteDSN(db.DSN)
		if commit == "durable" {
			dsn = strings.Replace(dsn, "_synchronous=NORMAL", "_synchronous=FULL", 1)
		}
		dialector = sqlite.Open(dsn)
		settings = "SELECT 'journal_mode=' || (SELECT journal_mode FROM pragma_journal_mode) || ' synchronous=' || (SELECT synchronous FROM pragma_synchronous)"
	}
	gdb, err := gorm.Open(dialector, dbopen.Config())
	if err != nil {
		b.Fatal(err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sqlDB.Close() })
	var got string
	if err := sqlDB.QueryRow(settings).Scan(&got); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s, commit=%s: %s", db.Kind, commit, got)
	s, err := waffle.New(gdb, &waffle.Config{Now: func() time.Time { return benchT0 }})
	if err != nil {
		b.Fatal(err)
	}
	return &syncDB{Store: s, db: gdb}
}

// naiveSync is what a straightforward port does, written with database/sql
// (the fastest naive form): for each flag, load the active users into Go,
// then add them to the group one INSERT at a time (autocommit, as
// waffle-window). It returns the number of users added.
func naiveSync(b *testing.B, s *syncDB, at time.Time) int {
	b.Helper()
	ctx := context.Background()
	db, err := s.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	ph := func(q string) string { // ? placeholders to the dialect's
		if s.Dialect() == "sqlite" {
			return q
		}
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
		}
		return q
	}
	type flag struct {
		id   int64
		name string
	}
	var flags []flag
	scanEach(ctx, b, db, "SELECT id, name FROM waffle_flag ORDER BY name", nil, func(rows *sql.Rows) error {
		var f flag
		err := rows.Scan(&f.id, &f.name)
		flags = append(flags, f)
		return err
	})
	added := 0
	for _, f := range flags {
		var gid int64
		if err := db.QueryRowContext(ctx, ph("INSERT INTO waffle_group (name, created) VALUES (?, ?) RETURNING id"), waffle.SyncGroupName(f.name), at).Scan(&gid); err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, ph("INSERT INTO waffle_flag_group (flag_id, group_id) VALUES (?, ?)"), f.id, gid); err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, ph("DELETE FROM waffle_group_member WHERE group_id = ?"), gid); err != nil {
			b.Fatal(err)
		}
		var users []string
		scanEach(ctx, b, db, ph(`SELECT DISTINCT user_id FROM waffle_flag_member
			WHERE flag_id = ? AND start_at <= ? AND (end_at IS NULL OR end_at > ?)`), []any{f.id, at, at}, func(rows *sql.Rows) error {
			var u string
			err := rows.Scan(&u)
			users = append(users, u)
			return err
		})
		for _, u := range users {
			if _, err := db.ExecContext(ctx, ph("INSERT INTO waffle_group_member (group_id, user_id) VALUES (?, ?)"), gid, u); err != nil {
				b.Fatal(err)
			}
			added++
		}
	}
	return added
}

// explainSync logs the plans of the sync's statements for one flag, with the
// benchmark's data: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, in a
// transaction rolled back; EXPLAIN QUERY PLAN on SQLite.
func explainSync(b *testing.B, s *syncDB) {
	b.Helper()
	ctx := context.Background()
	var flagID, groupID int64
	if err := s.db.Raw("SELECT f.id, g.id FROM waffle_flag f JOIN waffle_group g ON g.name = 'WAFFLE_' || f.name WHERE f.name = 'bench-042'").
		Row().Scan(&flagID, &groupID); err != nil {
		b.Fatal(err)
	}
	at := benchT1 // 1% to remove: the plans run with work to do
	// A first sync's addition goes into the empty group it just created.
	var emptyID int64
	if err := s.db.Raw("INSERT INTO waffle_group (name, created) VALUES ('explain-empty', ?) RETURNING id", benchT0).
		Row().Scan(&emptyID); err != nil {
		b.Fatal(err)
	}
	stmts := []struct {
		name string
		args []any
	}{
		{"sync_remove", []any{groupID, flagID, at}},
		{"sync_add", []any{groupID, flagID, at}},
		{"sync_add_new", []any{emptyID, flagID, at}},
		{"sync_remove_crossed", []any{groupID, flagID, at, benchT0, at}},
		{"sync_add_crossed", []any{groupID, flagID, at, benchT0, at}},
		{"sync_flags", nil},
		{"sync_user_active", []any{flagID, "user-42", at}},
	}
	db, err := s.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range stmts {
		prefix := "EXPLAIN QUERY PLAN "
		if s.Dialect() == "postgres" {
			prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var plan strings.Builder
		scanEach(ctx, b, tx, prefix+query.For(s.Dialect()).SQL(st.name), st.args, func(rows *sql.Rows) error {
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
			// PostgreSQL: one line per row; SQLite: id, parent, notused, detail.
			fmt.Fprintf(&plan, "%v\n", vals[len(vals)-1])
			return nil
		})
		_ = tx.Rollback()
		b.Logf("%s plan of %s:\n%s", s.Dialect(), st.name, plan.String())
	}
}

// naiveGormSync is the same naive sync as an application writes it with
// GORM's models, on a *gorm.DB opened with GORM's default configuration (so
// each Create runs in a transaction of its own): load the active windows
// into Go, keep one per user, Create one group member at a time.
func naiveGormSync(b *testing.B, s *syncDB, at time.Time) int {
	b.Helper()
	ctx := context.Background()
	sqlDB, err := s.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	var dialector gorm.Dialector
	dialector = postgres.New(postgres.Config{Conn: sqlDB})
	if s.Dialect() == "sqlite" {
		dialector = &sqlite.Dialector{Conn: sqlDB}
	}
	db, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	db = db.WithContext(ctx)
	var flags []naiveFlag
	if err := db.Order("name").Find(&flags).Error; err != nil {
		b.Fatal(err)
	}
	added := 0
	for _, f := range flags {
		g := naiveGroup{Name: waffle.SyncGroupName(f.Name), Created: at}
		if err := db.Where(naiveGroup{Name: g.Name}).FirstOrCreate(&g).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Create(&naiveFlagGroup{FlagID: f.ID, GroupID: g.ID}).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Where("group_id = ?", g.ID).Delete(&naiveMember{}).Error; err != nil {
			b.Fatal(err)
		}
		var windows []naiveWindow
		if err := db.Where("flag_id = ? AND start_at <= ? AND (end_at IS NULL OR end_at > ?)", f.ID, at, at).Find(&windows).Error; err != nil {
			b.Fatal(err)
		}
		seen := map[string]bool{}
		for _, w := range windows {
			if seen[w.UserID] {
				continue
			}
			seen[w.UserID] = true
			if err := db.Create(&naiveMember{GroupID: g.ID, UserID: w.UserID}).Error; err != nil {
				b.Fatal(err)
			}
			added++
		}
	}
	return added
}

type naiveFlag struct {
	ID   int64
	Name string
}

func (naiveFlag) TableName() string { return "waffle_flag" }

type naiveGroup struct {
	ID      int64
	Name    string
	Created time.Time
}

func (naiveGroup) TableName() string { return "waffle_group" }

type naiveFlagGroup struct {
	FlagID  int64 `gorm:"primaryKey;autoIncrement:false"`
	GroupID int64 `gorm:"primaryKey;autoIncrement:false"`
}

func (naiveFlagGroup) TableName() string { return "waffle_flag_group" }

type naiveMember struct {
	GroupID int64  `gorm:"primaryKey;autoIncrement:false"`
	UserID  string `gorm:"primaryKey"`
}

func (naiveMember) TableName() string { return "waffle_group_member" }

type naiveWindow struct {
	ID      int64
	FlagID  int64
	UserID  string
	StartAt time.Time
	EndAt   *time.Time
	Note    string
	Created time.Time
}

func (naiveWindow) TableName() string { return "waffle_flag_member" }

// scanEach runs q with args on db and calls scan for each row; any error
// fails b.
func scanEach(ctx context.Context, b *testing.B, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args []any, scan func(*sql.Rows) error) {
	b.Helper()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		b.Fatalf("%v: %s", err, q)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
}
