package waffletest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// eachDB runs fn as parallel subtests on in-memory SQLite and on PostgreSQL
// (skipped without WAFFLE_TEST_POSTGRES_DSN), whatever the environment says
// for New.
func eachDB(t *testing.T, fn func(t *testing.T, newStore func(tb testing.TB) *waffle.Store)) {
	t.Helper()
	for _, kind := range testdb.Kinds {
		t.Run(testdb.KindName(kind), func(t *testing.T) {
			t.Parallel()
			if kind == testdb.Postgres {
				testdb.PostgresDSN(t) // skips without a server
			}
			fn(t, func(tb testing.TB) *waffle.Store {
				tb.Helper()
				db := memoryDB(tb)
				if kind == testdb.Postgres {
					db = testdb.New(tb, testdb.Postgres).Open(tb)
				}
				s, err := waffle.New(db, nil)
				require.NoError(tb, err)
				require.NoError(tb, s.Migrate(context.Background()))
				return s
			})
		})
	}
}

func TestNewIsMigratedSQLite(t *testing.T) {
	t.Parallel()
	s := New(t)
	require.Equal(t, "sqlite", s.Dialect())
	requireMigrated(t, s)
}

// TestNewWithDB migrates the handle it is given and builds the store on it:
// a table of the test's own in the same database sees waffle's tables.
func TestNewWithDB(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		gdb := db.Open(t)
		s := NewWithDB(t, gdb, &waffle.Config{SwitchDefault: true})
		require.Equal(t, db.Kind, s.Dialect())
		requireMigrated(t, s)
		on, err := s.SwitchIsActive(context.Background(), "missing")
		require.NoError(t, err)
		require.True(t, on, "SwitchDefault from the config")

		OverrideSwitch(t, s, "sw", true)
		var n int64
		require.NoError(t, gdb.Table("waffle_switch").Where("name = ? AND active", "sw").Count(&n).Error)
		require.EqualValues(t, 1, n, "the store writes through the handle it was given")
	})
}

func TestNewWithDBInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) *gorm.DB
		cfg  *waffle.Config
		want string
	}{
		{"NilDB", func(*testing.T) *gorm.DB { return nil }, nil, "waffletest"},
		{"BadConfig", func(t *testing.T) *gorm.DB { return DB(t) }, &waffle.Config{MissingFlagHandling: "nope"}, "MissingFlagHandling"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := tc.db(t)
			ft := runFake(t, func(tb testing.TB) {
				NewWithDB(tb, db, tc.cfg)
				t.Error("NewWithDB returned after a failure")
			})
			require.True(t, ft.failed)
			require.Contains(t, ft.messages[0], tc.want)
		})
	}
}

func requireMigrated(t *testing.T, s *waffle.Store) {
	t.Helper()
	status, err := s.MigrationStatus(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, status)
	for _, m := range status {
		require.True(t, m.Applied, "version %d", m.Version)
	}
}

func TestNewWithConfig(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, _ func(testing.TB) *waffle.Store) {
		s := NewWithConfig(t, &waffle.Config{SwitchDefault: true, CreateMissingSwitches: true})
		on, err := s.SwitchIsActive(context.Background(), "missing")
		require.NoError(t, err)
		require.True(t, on, "SwitchDefault from the config")
		sw, err := s.GetSwitch(context.Background(), "missing")
		require.NoError(t, err, "CreateMissingSwitches from the config")
		require.True(t, sw.Active)
	})
}

func TestNewWithConfigInvalid(t *testing.T) {
	t.Parallel()
	ft := runFake(t, func(tb testing.TB) {
		NewWithConfig(tb, &waffle.Config{MissingFlagHandling: "nope"})
		t.Error("NewWithConfig returned after an invalid config")
	})
	require.True(t, ft.failed)
	require.Contains(t, ft.messages[0], "MissingFlagHandling")
}

func TestStoresAreIsolated(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, newStore func(testing.TB) *waffle.Store) {
		ctx := context.Background()
		a, b := newStore(t), newStore(t)
		require.NoError(t, a.SetSwitch(ctx, "x", true))
		_, err := b.GetSwitch(ctx, "x")
		require.ErrorIs(t, err, waffle.ErrNotFound, "a second store of the same test is a separate database")
	})
}

func TestMemoryDBConcurrentWriters(t *testing.T) {
	t.Parallel()
	s, err := waffle.New(memoryDB(t), nil)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	var wg sync.WaitGroup
	errs := make(chan error, 8*50)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				name := fmt.Sprintf("s%d", (g+i)%5)
				if err := s.SetSwitch(ctx, name, i%2 == 0); err != nil {
					errs <- err
				}
				if _, err := s.SwitchIsActive(ctx, name); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "concurrent readers and writers wait for each other")
	}
	sws, err := s.ListSwitches(ctx)
	require.NoError(t, err)
	require.Len(t, sws, 5)
}

func TestMemoryDBOutlivesIdleConnections(t *testing.T) {
	t.Parallel()
	db := memoryDB(t)
	s, err := waffle.New(db, nil)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.SetSwitch(ctx, "kept", true))
	sqlDB, err := db.DB()
	require.NoError(t, err)
	sqlDB.SetMaxIdleConns(0) // closes every idle connection of the pool
	on, err := s.SwitchIsActive(ctx, "kept")
	require.NoError(t, err)
	require.True(t, on, "the database lives while the test does")
}

// Parallel tests may override the same name, each in its own store.
func TestParallelOverridesOfOneName(t *testing.T) {
	t.Parallel()
	for i := range 16 {
		t.Run(fmt.Sprintf("Test%d", i), func(t *testing.T) {
			t.Parallel()
			s := New(t)
			ctx := context.Background()
			want := i%2 == 0
			OverrideSwitch(t, s, "shared", want)
			for range 20 {
				got, err := s.SwitchIsActive(ctx, "shared")
				require.NoError(t, err)
				require.Equal(t, want, got)
				runtime.Gosched()
			}
		})
	}
}

// fakeTB is a testing.TB for checking what helpers do when a test fails: it
// records failures instead of failing the real test, stops on Fatal the way
// testing does (runtime.Goexit), and runs its cleanups when asked, last
// registered first, as testing does at the end of a test.
type fakeTB struct {
	testing.TB // the real test, for everything else (TempDir, Name, ...)

	mu       sync.Mutex
	failed   bool
	messages []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.messages = append(f.messages, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Fail() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
}
func (f *fakeTB) FailNow() {
	f.Fail()
	runtime.Goexit()
}
func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// runFake runs body as a test of its own on a fakeTB, in a goroutine as
// testing does, then runs the cleanups it registered.
func runFake(t *testing.T, body func(tb testing.TB)) *fakeTB {
	t.Helper()
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(ft)
	}()
	<-done
	for i := len(ft.cleanups) - 1; i >= 0; i-- {
		ft.cleanups[i]()
	}
	return ft
}

// dbOnPostgres returns a database on the test server, skipping without one.
func dbOnPostgres(t *testing.T) *gorm.DB {
	t.Helper()
	testdb.PostgresDSN(t)
	return testdb.New(t, testdb.Postgres).Open(t)
}

// Overrides on a store bound to the test's transaction run inside it; with
// the rollback registered first, the overrides are undone inside the
// transaction before it ends, without an error (the subtest would fail).
func TestOverridesInsideTransaction(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"SQLite", "Postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := memoryDB(t)
			if kind == "Postgres" {
				db = dbOnPostgres(t)
			}
			ctx := context.Background()
			s, err := waffle.New(db, nil)
			require.NoError(t, err)
			require.NoError(t, s.Migrate(ctx))
			require.NoError(t, waffle.Save(ctx, s, &waffle.Switch{Name: "sw", Note: "n"}))
			require.NoError(t, s.SaveFlag(ctx, &waffle.Flag{Name: "f", Staff: true}))

			t.Run("Test", func(t *testing.T) {
				tx := db.Begin()
				require.NoError(t, tx.Error)
				t.Cleanup(func() { tx.Rollback() })
				txs := s.WithTx(tx)
				OverrideSwitch(t, txs, "sw", true)
				OverrideSample(t, txs, "sm", 100)
				OverrideString(t, txs, "str", "v")
				OverrideFlag(t, txs, "f", On())
				on, err := txs.SwitchIsActive(ctx, "sw")
				require.NoError(t, err)
				require.True(t, on, "inside the transaction")
				on, err = txs.FlagIsActive(ctx, "f")
				require.NoError(t, err)
				require.True(t, on)
			})
			sw, err := s.GetSwitch(ctx, "sw")
			require.NoError(t, err)
			require.False(t, sw.Active)
			require.Equal(t, "n", sw.Note)
			_, err = s.GetSample(ctx, "sm")
			require.ErrorIs(t, err, waffle.ErrNotFound)
			f, err := s.GetFlag(ctx, "f")
			require.NoError(t, err)
			require.Nil(t, f.Everyone)
		})
	}
}
