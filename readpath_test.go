package waffle

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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
