package bench

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// The side-by-side benchmarks (`make bench`, results in BENCHMARKS.md).
//
// Every benchmark runs each operation three ways on the same database, with
// the same data and the same connection pool (the application's *gorm.DB):
//
//	impl=Baseline  hand-written database/sql code with a prepared statement
//	               that returns the same answer in one round trip: the
//	               physical limit of a stateless read;
//	impl=Library   the Store;
//	impl=Naive     GORM as a user would write it by hand: First on a model,
//	               associations loaded with Preload.
//
// Sub-benchmarks are named key=value (db=SQLite/case=Hit/impl=Library) so
// that benchstat can put the implementations side by side (-col /impl) and
// bench/benchreport can compute the ratios. Before timing, every
// implementation's answer is checked against the expected one, so the three
// measure the same work. The benchmarks run on SQLite (a file in WAL mode)
// and on the PostgreSQL server of WAFFLE_TEST_POSTGRES_DSN (skipped without
// it). scripts/bench runs the compiled benchmarks ten times, one round after
// the other, so Baseline, Library and Naive alternate and machine drift does
// not bias their ratio.

// benchDB is one benchmark's database with the three ways to reach it.
type benchDB struct {
	kind  string
	gdb   *gorm.DB // the application's handle: Naive uses it, the Store is built on it
	sqlDB *sql.DB  // its pool: Baseline prepares its statements here
	store *waffle.Store
}

// benchEachDB runs fn as sub-benchmarks db=SQLite and db=Postgres, each on a
// new migrated database holding the benchmarks' data (data_test.go).
func benchEachDB(b *testing.B, fn func(b *testing.B, d *benchDB)) {
	b.Helper()
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind), func(b *testing.B) {
			d := newBenchDB(b, kind, nil)
			d.seed(b)
			fn(b, d)
		})
	}
}

// newBenchDB returns a new migrated database of kind with a Store on it.
func newBenchDB(b testing.TB, kind string, cfg *waffle.Config) *benchDB {
	b.Helper()
	gdb := testdb.New(b, kind).Open(b)
	sqlDB, err := gdb.DB()
	require.NoError(b, err)
	// A server's pool keeps its connections: without this, database/sql
	// keeps 2 idle and the parallel benchmarks would measure connecting.
	sqlDB.SetMaxIdleConns(benchReaders + 4)
	sqlDB.SetMaxOpenConns(benchReaders + 4)
	s := migratedStore(b, gdb, cfg)
	return &benchDB{kind: kind, gdb: gdb, sqlDB: sqlDB, store: s}
}

// prepare prepares a Baseline statement. Write it with PostgreSQL's $n
// placeholders; on SQLite they become ?n.
func (d *benchDB) prepare(b *testing.B, query string) *sql.Stmt {
	b.Helper()
	stmt, err := d.sqlDB.Prepare(d.native(query))
	require.NoError(b, err, query)
	b.Cleanup(func() { _ = stmt.Close() })
	return stmt
}

// exec runs a fixture statement written with $n placeholders.
func (d *benchDB) exec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	_, err := d.sqlDB.Exec(d.native(query), args...)
	require.NoError(tb, err, query)
}

// native returns query, written with $n placeholders, in d's dialect.
func (d *benchDB) native(query string) string {
	if d.kind == testdb.SQLite {
		return strings.ReplaceAll(query, "$", "?")
	}
	return query
}

// impl is one way of answering a benchmark's question.
type impl[T comparable] struct {
	name string // Baseline, Library or Naive
	run  func() (T, error)
}

// EnvBenchRound is the number of the round scripts/bench is running. The
// implementations of a benchmark run in an order rotated by it, so that none
// always runs first (after the previous benchmark's garbage) or last.
const EnvBenchRound = "WAFFLE_BENCH_ROUND"

// rotate returns impls rotated by the round number in the environment.
func rotate[T comparable](impls []impl[T]) []impl[T] {
	round, _ := strconv.Atoi(os.Getenv(EnvBenchRound))
	k := round % len(impls)
	return append(append([]impl[T](nil), impls[k:]...), impls[:k]...)
}

// benchImpls runs each implementation as a sub-benchmark impl=<name>, after
// checking that it answers want. Each starts timing on a collected heap.
func benchImpls[T comparable](b *testing.B, want T, impls ...impl[T]) {
	b.Helper()
	for _, im := range rotate(impls) {
		b.Run("impl="+im.name, func(b *testing.B) {
			got, err := im.run()
			require.NoError(b, err)
			require.Equal(b, want, got, "%s answers differently", im.name)
			runtime.GC()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := im.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchParallel runs each implementation from readers goroutines at once
// (b.RunParallel), as a sub-benchmark impl=<name>. It reports the number of
// goroutines as a metric; ns/op is then the inverse of the throughput.
func benchParallel[T comparable](b *testing.B, readers int, want T, impls ...impl[T]) {
	b.Helper()
	procs := runtime.GOMAXPROCS(0)
	par := (readers + procs - 1) / procs
	for _, im := range rotate(impls) {
		b.Run("impl="+im.name, func(b *testing.B) {
			got, err := im.run()
			require.NoError(b, err)
			require.Equal(b, want, got, "%s answers differently", im.name)
			// Warm up: every connection of the pool open, and the statement
			// prepared on it, before the timer starts.
			var wg sync.WaitGroup
			for range readers {
				wg.Go(func() {
					for range 20 {
						_, _ = im.run()
					}
				})
			}
			wg.Wait()
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := im.run(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(par*procs), "goroutines")
		})
	}
}

// benchCtx is the context of the benchmarks' reads: a request's, with a
// deadline, as a server would pass.
func benchCtx(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	b.Cleanup(cancel)
	return ctx
}

// noRows maps sql.ErrNoRows and gorm.ErrRecordNotFound to ok=false.
func noRows(err error) (found bool, _ error) {
	if err == nil {
		return true, nil
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return false, err
}

// migratedStore returns a Store on db, migrated.
func migratedStore(tb testing.TB, db *gorm.DB, cfg *waffle.Config) *waffle.Store {
	tb.Helper()
	s, err := waffle.New(db, cfg)
	require.NoError(tb, err)
	require.NoError(tb, s.Migrate(context.Background()))
	return s
}

// newStore returns a migrated Store on a new database of kind.
func newStore(tb testing.TB, kind string, cfg *waffle.Config) *waffle.Store {
	tb.Helper()
	return migratedStore(tb, testdb.New(tb, kind).Open(tb), cfg)
}
