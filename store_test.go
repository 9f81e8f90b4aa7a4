package waffle

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/dbopen"
	"github.com/gowaffle/waffle/internal/testdb"
)

// The test harness: every store test runs once per database through eachDB,
// each run on a new, isolated, migrated database:
//
//	func TestThing(t *testing.T) {
//		t.Parallel()
//		eachDB(t, func(t *testing.T, h *harness) {
//			s := h.store(t, nil)
//			...
//		})
//	}

// harness is one test's database.
type harness struct {
	db *testdb.DB
}

// eachDB runs fn as parallel subtests on SQLite and on PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		h := &harness{db: db}
		h.migrate(t)
		fn(t, h)
	})
}

// store returns a new Store with its own connection pool on the harness's
// database, as another process would have.
func (h *harness) store(tb testing.TB, cfg *Config) *Store {
	tb.Helper()
	s, err := New(h.db.Open(tb), cfg)
	require.NoError(tb, err)
	return s
}

func (h *harness) migrate(tb testing.TB) {
	tb.Helper()
	require.NoError(tb, h.store(tb, nil).Migrate(context.Background()))
}

// cancelled returns a context that is already cancelled.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// countingStore returns a Store whose statements are counted, on the
// harness's database.
func (h *harness) countingStore(tb testing.TB, cfg *Config) (*Store, *testdb.Counter) {
	tb.Helper()
	db, c := h.db.OpenCounting(tb)
	s, err := New(db, cfg)
	require.NoError(tb, err)
	return s, c
}

// hookStore returns a Store on h's database whose driver calls before(query)
// ahead of every statement it sends: a test can cancel a context at an exact
// point of a transaction, and see what a real driver then does.
func (h *harness) hookStore(t *testing.T, cfg *Config, before func(query string)) *Store {
	t.Helper()
	return h.faultStore(t, cfg, func(query string) error {
		before(query)
		return nil
	})
}

// faultStore is hookStore whose hook can also fail a statement: when
// before(query) returns an error, the driver returns it instead of sending
// the statement.
func (h *harness) faultStore(t *testing.T, cfg *Config, before func(query string) error) *Store {
	t.Helper()
	s, err := New(h.db.OpenHooked(t, before), cfg)
	require.NoError(t, err)
	return s
}

// saveFlag stores f through the public API.
func saveFlag(t *testing.T, s *Store, f Flag) {
	t.Helper()
	require.NoError(t, s.SaveFlag(context.Background(), &f))
}

// setFlagEveryone stores a flag that is on or off for everyone.
func setFlagEveryone(t *testing.T, s *Store, name string, on bool) {
	t.Helper()
	saveFlag(t, s, Flag{Name: name, Everyone: &on})
}

// fixedRand returns a Config.Rand that always draws r.
func fixedRand(r float64) func() float64 { return func() float64 { return r } }

// New validates the config and nothing else: it sends no statement, so it
// creates no table, on a database that was never migrated.
func TestNewSendsNoStatement(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		gdb, counter := db.OpenCounting(t)
		for _, cfg := range []*Config{nil, {CreateMissingFlags: true, MissingFlagHandling: Exception, Override: true}} {
			s, err := New(gdb, cfg)
			require.NoError(t, err)
			require.NotNil(t, s)
		}
		_, err := New(gdb, &Config{MissingFlagHandling: "nope"})
		require.ErrorIs(t, err, ErrInvalidConfig)
		require.Zero(t, counter.Count(), "New sent %v", counter.Statements())
		require.False(t, gdb.Migrator().HasTable("waffle_switch"), "no DDL before Migrate")
		require.False(t, gdb.Migrator().HasTable("waffle_schema_version"), "no DDL before Migrate")
	})
}

var errRollback = errors.New("rollback")

// Writes through WithTx roll back with the application's transaction.
func TestWithTxRollback(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.Set(ctx, "kept", "before"))
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.NoError(t, ts.SetSwitch(ctx, "sw", true))
			require.NoError(t, ts.SetSample(ctx, "sm", 50))
			require.NoError(t, ts.Set(ctx, "kept", "changed"))
			require.NoError(t, ts.Set(ctx, "str", "x"))
			require.NoError(t, ts.SetFromJSON(ctx, []byte(`{"bulk1": 1, "bulk2": null}`)))
			require.NoError(t, Save(ctx, ts, &Sample{Name: "saved", Percent: 5}))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)

		for _, table := range []string{"waffle_switch", "waffle_sample"} {
			require.Zero(t, countRows(t, s, table), table)
		}
		require.Equal(t, int64(1), countRows(t, s, "waffle_string_flag"))
		v, err := s.Get(ctx, "kept")
		require.NoError(t, err)
		require.Equal(t, "before", v.String())
	})
}

// Reads through WithTx see the transaction's own writes; other stores see
// them only after the commit.
func TestWithTxReadsOwnWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Rand: seq(0.5)})
		other := h.store(t, nil)
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.NoError(t, ts.SetSwitch(ctx, "sw", true))
			on, err := ts.SwitchIsActive(ctx, "sw")
			require.NoError(t, err)
			require.True(t, on)

			require.NoError(t, ts.SetSample(ctx, "sm", 100))
			on, err = ts.SampleIsActive(ctx, "sm")
			require.NoError(t, err)
			require.True(t, on)
			sm, err := ts.GetSample(ctx, "sm")
			require.NoError(t, err)
			require.Equal(t, 100.0, sm.Percent)

			require.NoError(t, ts.Set(ctx, "str", "inside"))
			v, err := ts.Get(ctx, "str")
			require.NoError(t, err)
			require.Equal(t, "inside", v.String())

			require.NoError(t, ts.SetFromJSON(ctx, []byte(`[{"a": "1"}, {"b": true}]`)))
			v, err = ts.Get(ctx, "b")
			require.NoError(t, err)
			require.Equal(t, "True", v.String())

			v, err = other.Get(ctx, "str")
			require.NoError(t, err)
			require.False(t, v.Found(), "not visible to another store before the commit")
			return nil
		})
		require.NoError(t, err)

		v, err := other.Get(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, "1", v.String(), "SetFromJSON committed with the application's transaction")
		on, err := other.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.True(t, on)
	})
}

// SetFromJSON through WithTx runs in the application's transaction: a later
// failure of the application's rolls the flags back, and bad JSON leaves the
// transaction usable.
func TestWithTxSetFromJSON(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.ErrorIs(t, ts.SetFromJSON(ctx, []byte(`{"a": [1]}`)), ErrInvalidJSON)
			require.NoError(t, ts.SetFromJSON(ctx, []byte(`{"a": 1, "b": 2}`)))
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, int64(2), countRows(t, s, "waffle_string_flag"))

		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			require.NoError(t, s.WithTx(tx).SetFromJSON(ctx, []byte(`{"a": "changed", "c": 3}`)))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		require.Equal(t, int64(2), countRows(t, s, "waffle_string_flag"))
		v, err := s.Get(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, "1", v.String())
	})
}

// The read path runs its statements on the application's *gorm.DB through
// database/sql: these tests hold it to what that handle promises (its
// transaction, its context, its pool) and to what the README says about GORM
// callbacks.

// A read through WithTx runs in the application's transaction: it sees that
// transaction's uncommitted writes, and nobody else does.
func TestReadInAppTxSeesItsWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "flip", true))
		for range 2 { // the second time the statements are prepared
			_, err := s.SwitchIsActive(ctx, "flip")
			require.NoError(t, err)
		}

		tx := s.db.WithContext(ctx).Begin()
		require.NoError(t, tx.Error)
		t.Cleanup(func() { tx.Rollback() })
		in := s.WithTx(tx)
		require.NoError(t, in.SetSwitch(ctx, "flip", false))
		require.NoError(t, in.SetSwitch(ctx, "fresh", true))

		for _, c := range []struct {
			store      *Store
			flip, frsh bool
		}{
			{in, false, true}, // the transaction's own writes
			{s, true, false},  // outside: the committed state
		} {
			got, err := c.store.SwitchIsActive(ctx, "flip")
			require.NoError(t, err)
			require.Equal(t, c.flip, got)
			got, err = c.store.SwitchIsActive(ctx, "fresh")
			require.NoError(t, err)
			require.Equal(t, c.frsh, got)
		}

		require.NoError(t, tx.Rollback().Error)
		got, err := s.SwitchIsActive(ctx, "fresh")
		require.NoError(t, err)
		require.False(t, got, "rolled back with the application's transaction")
	})
}

// A deadline in the caller's context reaches the statement: a read blocked
// by a lock returns when the deadline passes, with the context's error.
func TestReadDeadlineReachesQuery(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "on", true))

		t.Run("Expired", func(t *testing.T) {
			dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
			defer cancel()
			_, err := s.SwitchIsActive(dctx, "on")
			require.ErrorIs(t, err, context.DeadlineExceeded)
		})

		if h.db.Kind != testdb.Postgres {
			return // a SQLite reader in WAL mode is never blocked by a lock
		}
		for _, c := range []struct {
			name     string
			prepared bool
		}{{"FirstRead", false}, {"Prepared", true}} {
			t.Run("BlockedBy"+c.name, func(t *testing.T) {
				r := h.store(t, nil) // a fresh pool: nothing prepared yet
				if c.prepared {
					_, err := r.SwitchIsActive(ctx, "on")
					require.NoError(t, err)
				}
				locker := h.db.Open(t).WithContext(ctx).Begin()
				require.NoError(t, locker.Error)
				defer locker.Rollback()
				require.NoError(t, locker.Exec("LOCK TABLE waffle_switch IN ACCESS EXCLUSIVE MODE").Error)
				// Should the deadline not reach the query, the lock goes after
				// 3 s and the elapsed-time check below fails instead of a hang.
				release := time.AfterFunc(3*time.Second, func() { locker.Rollback() })
				defer release.Stop()

				dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				start := time.Now()
				_, err := r.SwitchIsActive(dctx, "on")
				require.ErrorIs(t, err, context.DeadlineExceeded)
				require.Less(t, time.Since(start), 2*time.Second, "the read waited for the lock past its deadline")

				release.Stop()
				require.NoError(t, locker.Rollback().Error)
				got, err := r.SwitchIsActive(ctx, "on")
				require.NoError(t, err, "the pool recovers after a cancelled read")
				require.True(t, got)
			})
		}
	})
}

// Reads use the application's pool and respect its SetMaxOpenConns: 16
// readers on a pool of 2 connections never have more than 2 open (nor does
// the server see more), and with both taken a read waits for one.
func TestReadsRespectMaxOpenConns(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		gdb, countServer := openTagged(t, h)
		sqlDB, err := gdb.DB()
		require.NoError(t, err)
		sqlDB.SetMaxOpenConns(2)
		s, err := New(gdb, nil)
		require.NoError(t, err)
		require.NoError(t, s.SetSwitch(ctx, "on", true))

		var maxOpen, maxServer atomic.Int64
		done := make(chan struct{})
		var monitor sync.WaitGroup
		monitor.Go(func() {
			for {
				maxOpen.Store(max(maxOpen.Load(), int64(sqlDB.Stats().OpenConnections)))
				if countServer != nil {
					maxServer.Store(max(maxServer.Load(), countServer()))
				}
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
			}
		})
		var readers sync.WaitGroup
		for range 16 {
			readers.Go(func() {
				for range 50 {
					got, err := s.SwitchIsActive(ctx, "on")
					if err != nil || !got {
						t.Errorf("read: %v, %v", got, err)
						return
					}
				}
			})
		}
		readers.Wait()
		close(done)
		monitor.Wait()

		require.Equal(t, 2, sqlDB.Stats().MaxOpenConnections)
		require.LessOrEqual(t, maxOpen.Load(), int64(2))
		if countServer != nil {
			require.Positive(t, maxServer.Load(), "the server-side count saw the pool's connections")
			require.LessOrEqual(t, maxServer.Load(), int64(2), "connections the server saw from this pool")
		}

		// With both connections taken, a read waits for one: it has no
		// connection of its own.
		var held []*sql.Conn
		for range 2 {
			c, err := sqlDB.Conn(ctx)
			require.NoError(t, err)
			held = append(held, c)
		}
		waits := sqlDB.Stats().WaitCount
		read := make(chan error, 1)
		go func() {
			_, err := s.SwitchIsActive(ctx, "on")
			read <- err
		}()
		require.Eventually(t, func() bool { return sqlDB.Stats().WaitCount > waits }, 5*time.Second, time.Millisecond,
			"the read queues on the application's pool")
		select {
		case err := <-read:
			t.Fatalf("the read finished while the pool was exhausted: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		require.NoError(t, held[0].Close())
		require.NoError(t, <-read)
		require.NoError(t, held[1].Close())
	})
}

// openTagged opens a new handle on the harness's database. On PostgreSQL its
// connections carry an application_name of their own, and countServer
// returns how many the server sees; on SQLite countServer is nil.
func openTagged(t *testing.T, h *harness) (db *gorm.DB, countServer func() int64) {
	t.Helper()
	if h.db.Kind != testdb.Postgres {
		return h.db.Open(t), nil
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	app := "waffle_pool_" + hex.EncodeToString(b[:])
	db, err := gorm.Open(postgres.Open(h.db.DSN+"&application_name="+app), dbopen.Config())
	require.NoError(t, err)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqlDB.Close() })
	watcher := h.db.Open(t)
	return db, func() int64 {
		var n int64
		err := watcher.Raw("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", app).Scan(&n).Error
		if err != nil {
			t.Errorf("counting connections: %v", err)
		}
		return n
	}
}

// The library's own statements bypass GORM's callbacks (they run on the
// handle's pool or transaction through database/sql); the custom-model
// calls (Load, List, Save) go through them. The README's Performance section
// says so.
func TestGormCallbacksSeeOnlyModelCalls(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		gdb := h.db.Open(t)
		var seen atomic.Int64
		count := func(*gorm.DB) { seen.Add(1) }
		cb := gdb.Callback()
		require.NoError(t, cb.Query().Before("*").Register("test:count_query", count))
		require.NoError(t, cb.Row().Before("*").Register("test:count_row", count))
		require.NoError(t, cb.Raw().Before("*").Register("test:count_raw", count))
		require.NoError(t, cb.Create().Before("*").Register("test:count_create", count))
		require.NoError(t, cb.Update().Before("*").Register("test:count_update", count))
		require.NoError(t, cb.Delete().Before("*").Register("test:count_delete", count))
		s, err := New(gdb, nil)
		require.NoError(t, err)

		user := WithUser(ctx, User{ID: "u1"})
		// In order: the writes create what the reads read.
		library := []struct {
			name string
			call func() error
		}{
			{"SetSwitch", func() error { return s.SetSwitch(ctx, "on", true) }},
			{"SetSample", func() error { return s.SetSample(ctx, "half", 50) }},
			{"Set", func() error { return s.Set(ctx, "color", "blue") }},
			{"SetFromJSON", func() error { return s.SetFromJSON(ctx, []byte(`{"a": "1", "b": true}`)) }},
			{"CreateGroup", func() error { return s.CreateGroup(ctx, "g") }},
			{"AddGroupMembers", func() error { return s.AddGroupMembers(ctx, "g", "u1") }},
			{"SwitchIsActive", func() error { _, err := s.SwitchIsActive(ctx, "on"); return err }},
			{"SwitchMissing", func() error { _, err := s.SwitchIsActive(ctx, "missing"); return err }},
			{"SampleIsActive", func() error { _, err := s.SampleIsActive(ctx, "half"); return err }},
			{"Get", func() error { _, err := s.Get(ctx, "color"); return err }},
			{"FlagMissing", func() error { _, err := s.FlagIsActive(user, "missing"); return err }},
			{"DeleteSwitch", func() error { return s.DeleteSwitch(ctx, "on") }},
		}
		for _, c := range library {
			seen.Store(0)
			require.NoError(t, c.call(), c.name)
			require.Zero(t, seen.Load(), "%s went through GORM callbacks", c.name)
		}

		models := []struct {
			name string
			call func() error
		}{
			{"SaveSwitch", func() error { return Save(ctx, s, &Switch{Name: "saved", Active: true}) }},
			{"GetSwitch", func() error { _, err := s.GetSwitch(ctx, "saved"); return err }},
			{"ListSwitches", func() error { _, err := s.ListSwitches(ctx); return err }},
			{"LoadGeneric", func() error { _, err := Load[Switch](ctx, s, "saved"); return err }},
			{"GetSample", func() error { _, err := s.GetSample(ctx, "half"); return err }},
			{"SaveFlag", func() error { return s.SaveFlag(ctx, &Flag{Name: "f", Groups: []string{"g"}}) }},
			{"GetFlag", func() error { _, err := s.GetFlag(ctx, "f"); return err }},
			{"ListFlags", func() error { _, err := s.ListFlags(ctx); return err }},
		}
		for _, c := range models {
			seen.Store(0)
			require.NoError(t, c.call(), c.name)
			require.Positive(t, seen.Load(), "%s should go through GORM callbacks", c.name)
		}

		// The flag exists now: its evaluation, too, bypasses the callbacks.
		seen.Store(0)
		on, err := s.FlagIsActive(user, "f")
		require.NoError(t, err)
		require.True(t, on, "u1 is in the flag's group")
		require.Zero(t, seen.Load(), "FlagIsActive went through GORM callbacks")
	})
}

// An application that opened GORM with PrepareStmt gets the same reads:
// its *gorm.PreparedStmtDB prepares the library's statements and caches
// them, one statement per read.
func TestReadsThroughGormPreparedStmt(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		db, counter := h.db.OpenCounting(t)
		db = db.Session(&gorm.Session{PrepareStmt: true})
		_, isPrepared := db.Statement.ConnPool.(*gorm.PreparedStmtDB)
		require.True(t, isPrepared, "the handle's pool is GORM's statement cache")
		s, err := New(db, nil)
		require.NoError(t, err)
		require.NoError(t, s.SetSwitch(ctx, "on", true))
		for range 3 {
			counter.Reset()
			got, err := s.SwitchIsActive(ctx, "on")
			require.NoError(t, err)
			require.True(t, got)
			require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
		}
	})
}

// Every read is exactly one statement; a read of an invalid name is none.
// Kinds add their reads to this table.
func TestReadsSendOneStatement(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "on", true))
		require.NoError(t, s.SetSample(ctx, "half", 50))
		require.NoError(t, s.Set(ctx, "color", "blue"))
		require.NoError(t, s.Set(ctx, "null", nil))

		// Flags: one statement whatever the flag has.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "everyone", Everyone: ptr(true)}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "listed", Users: []string{"u1"}}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "grouped", Groups: []string{"g1"}}))
		require.NoError(t, s.AddGroupMembers(ctx, "g1", "u2"))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "percent", Percent: ptr(50.0), Testing: true, Languages: []string{"en"}}))
		big := &Flag{Name: "big", Percent: ptr(30.0), Staff: true, Authenticated: true, Superusers: true}
		for i := range 10 {
			big.Users = append(big.Users, "big-user-"+strconv.Itoa(i))
		}
		big.Groups = []string{"g1", "g2", "g3"}
		require.NoError(t, s.SaveFlag(ctx, big))
		// A ramp: its percent comes from the same row.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "ramped", Percent: ptr(5.0), Users: []string{"u1"},
			Ramp: LinearRamp(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 0, 100)}))
		// Time windows: the synced WAFFLE_ group is read like any group.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "windowed"}))
		win, err := s.AddWindow(ctx, FlagMember{Flag: "windowed", User: "u4"})
		require.NoError(t, err)
		_, err = s.SyncMembership(ctx, "windowed")
		require.NoError(t, err)
		anon := func() context.Context {
			r := httptest.NewRequest(http.MethodGet, "/?dwft_percent=0&x=1", nil)
			r.Header.Set("Cookie", "a=b")
			return withRequestState(ctx, &requestState{req: r})
		}
		flag := func(ctx context.Context, name string) func() error {
			return func() error { _, err := s.FlagIsActive(ctx, name); return err }
		}
		full := WithLanguage(WithUser(anon(), User{ID: "u2", Authenticated: true, Groups: []string{"x", "y"}}), "fr")

		reads := []struct {
			name string
			read func() error
			want int64
		}{
			{"SwitchExisting", func() error { _, err := s.SwitchIsActive(ctx, "on"); return err }, 1},
			{"SwitchMissing", func() error { _, err := s.SwitchIsActive(ctx, "missing"); return err }, 1},
			{"SwitchInvalidName", func() error { _, _ = s.SwitchIsActive(ctx, "_bad"); return nil }, 0},
			{"SampleExisting", func() error { _, err := s.SampleIsActive(ctx, "half"); return err }, 1},
			{"SampleMissing", func() error { _, err := s.SampleIsActive(ctx, "missing"); return err }, 1},
			{"SampleInvalidName", func() error { _, _ = s.SampleIsActive(ctx, "_bad"); return nil }, 0},
			{"StringFlagExisting", func() error { _, err := s.Get(ctx, "color"); return err }, 1},
			{"StringFlagNull", func() error { _, err := s.Get(ctx, "null"); return err }, 1},
			{"StringFlagMissing", func() error { _, err := s.Get(ctx, "missing"); return err }, 1},
			{"StringFlagInvalidName", func() error { _, _ = s.Get(ctx, "_bad"); return nil }, 0},
			{"StringFlagReservedName", func() error { _, _ = s.Get(ctx, "set_from_json"); return nil }, 0},
			{"FlagMissing", flag(ctx, "missing"), 1},
			{"FlagInvalidName", func() error { _, _ = s.FlagIsActive(ctx, "_bad"); return nil }, 0},
			{"FlagEveryone", flag(ctx, "everyone"), 1},
			{"FlagUserListed", flag(WithUser(ctx, User{ID: "u1"}), "listed"), 1},
			{"FlagGroupMember", flag(WithUser(ctx, User{ID: "u2"}), "grouped"), 1},
			{"FlagGroupByName", flag(WithUser(ctx, User{Groups: []string{"g1"}}), "grouped"), 1},
			{"FlagPercentWithUser", flag(WithUser(ctx, User{ID: "u3"}), "percent"), 1},
			{"FlagPercentAnonymous", flag(anon(), "percent"), 1},
			{"FlagTenUsersThreeGroups", flag(full, "big"), 1},
			{"FlagTenUsersThreeGroupsAnonymous", flag(anon(), "big"), 1},
			{"FlagRampedWithUser", flag(WithUser(ctx, User{ID: "u3"}), "ramped"), 1},
			{"FlagRampedWithGroups", flag(WithUser(ctx, User{ID: "u3", Groups: []string{"x"}}), "ramped"), 1},
			{"FlagRampedAnonymous", flag(anon(), "ramped"), 1},
			{"FlagWindowMember", flag(WithUser(ctx, User{ID: "u4"}), "windowed"), 1},
			{"FlagDetailGroupByName", func() error {
				_, err := s.FlagDetail(WithUser(ctx, User{Groups: []string{"g1"}}), "grouped")
				return err
			}, 1},
			{"FlagDetailTenUsersThreeGroups", func() error { _, err := s.FlagDetail(full, "big"); return err }, 1},
			{"FlagDetailWindowMember", func() error { _, err := s.FlagDetail(WithUser(ctx, User{ID: "u4"}), "windowed"); return err }, 1},
			{"FlagDetailAnonymous", func() error { _, err := s.FlagDetail(anon(), "percent"); return err }, 1},
			{"FlagDetailMissing", func() error { _, err := s.FlagDetail(ctx, "missing"); return err }, 1},
			{"FlagDetailUser", func() error { _, err := s.FlagDetail(WithUser(ctx, User{ID: "u3"}), "percent"); return err }, 1},
			{"FlagDetailMetaTenUsersThreeGroups", func() error { _, err := s.FlagDetailMeta(full, "big"); return err }, 1},
			{"FlagDetailMetaUser", func() error { _, err := s.FlagDetailMeta(WithUser(ctx, User{ID: "u4"}), "windowed"); return err }, 1},
			{"FlagDetailMetaAnonymous", func() error { _, err := s.FlagDetailMeta(anon(), "percent"); return err }, 1},
			{"FlagDetailMetaMissing", func() error { _, err := s.FlagDetailMeta(ctx, "missing"); return err }, 1},
			{"SwitchDetail", func() error { _, err := s.SwitchDetail(ctx, "on"); return err }, 1},
			{"SampleDetail", func() error { _, err := s.SampleDetail(ctx, "half"); return err }, 1},
			{"StringFlagDetail", func() error { _, err := s.StringFlagDetail(ctx, "color"); return err }, 1},
			{"GetWindow", func() error { _, err := s.GetWindow(ctx, win.ID); return err }, 1},
			{"ListMembersOfUser", func() error { _, err := s.ListWindows(ctx, WindowFilter{User: "u4", ActiveOnly: true}); return err }, 1},
		}
		for _, r := range reads {
			for range 3 { // the first call also prepares; every call sends one statement
				counter.Reset()
				require.NoError(t, r.read(), r.name)
				require.Equal(t, r.want, counter.Count(), "%s sent %v", r.name, counter.Statements())
			}
		}
	})
}
