package waffle

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gowaffle/waffle/internal/testdb"
)

// startSnapshot starts s's snapshot until the test ends.
func startSnapshot(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		require.Eventually(t, func() bool { return !s.SnapshotStats().Running }, 5*time.Second, time.Millisecond)
	})
	require.NoError(t, s.StartSnapshot(ctx))
}

// A change made by plain SQL on another connection is served by the
// snapshot within the poll interval (SQLite) or at once (PostgreSQL's
// NOTIFY); the stats count what is held.
func TestSnapshotSeesRawSQLChange(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		other := h.store(t, nil)
		require.NoError(t, other.SetSwitch(ctx, "sw", false))
		require.NoError(t, other.SaveFlag(ctx, &Flag{Name: "f", Everyone: ptr(false)}))
		s := h.store(t, &Config{SnapshotPollInterval: 5 * time.Millisecond})
		startSnapshot(t, s)
		st := s.SnapshotStats()
		require.True(t, st.Running)
		require.True(t, st.Serving)
		require.Equal(t, 1, st.Flags)
		require.Positive(t, st.Bytes)
		require.ErrorIs(t, s.StartSnapshot(ctx), ErrSnapshotRunning)

		db, err := other.db.DB()
		require.NoError(t, err)
		_, err = db.Exec("UPDATE waffle_switch SET active = TRUE WHERE name = 'sw'")
		require.NoError(t, err)
		_, err = db.Exec("UPDATE waffle_flag SET everyone = TRUE WHERE name = 'f'")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			on, err := s.SwitchIsActive(ctx, "sw")
			require.NoError(t, err)
			f, err := s.FlagIsActive(ctx, "f")
			require.NoError(t, err)
			return on && f && s.SnapshotStats().Serving
		}, 2*time.Second, time.Millisecond)
	})
}

// Reads from the snapshot send nothing for a flag decided by its
// definition, and one statement per request for an identified user's
// memberships, however many flags the request reads.
func TestSnapshotStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		setup := h.store(t, nil)
		for i := range 30 {
			require.NoError(t, setup.SaveFlag(ctx, &Flag{Name: "g" + strconv.Itoa(i), Groups: []string{"staff"}, Percent: ptr(20.0)}))
		}
		require.NoError(t, setup.SaveFlag(ctx, &Flag{Name: "everyone", Everyone: ptr(true)}))
		require.NoError(t, setup.AddGroupMembers(ctx, "staff", "u1"))
		s, counter := h.countingStore(t, nil)
		// The counting driver hides pgx: the snapshot reads through a
		// second Store's watcher, sharing s's snapshot state.
		if s.Dialect() == "postgres" {
			w := h.store(t, nil)
			w.snap = s.snap
			startSnapshot(t, w)
		} else {
			startSnapshot(t, s)
		}
		counter.Reset()
		on, err := s.FlagIsActive(ctx, "everyone")
		require.NoError(t, err)
		require.True(t, on)
		require.Zero(t, counter.Count())

		var seen int
		handler := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := WithUser(r.Context(), User{ID: "u1"})
			for i := range 30 {
				on, err := s.FlagIsActive(ctx, "g"+strconv.Itoa(i))
				require.NoError(t, err)
				if on {
					seen++
				}
			}
		}))
		counter.Reset()
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, 30, seen, "u1 is in staff")
		require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
	})
}

// The snapshot answers as the database does: the generated flags and
// requests of TestEvaluateMatchesOneNameCalls, one call per name, with and
// without a snapshot (a flag with more users than SnapshotMaxUsers keeps
// them in the database).
func TestSnapshotMatchesDatabase(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		gen := rand.New(rand.NewPCG(15, 15))
		w := seedBatchWorld(t, h.store(t, nil), gen)
		seq := &seqRand{seed: 3}
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		cfg := Config{Override: true, Rand: seq.draw, Now: func() time.Time { return now }, SnapshotMaxUsers: 2}
		plain := h.store(t, &cfg)
		snap := h.store(t, &cfg)
		startSnapshot(t, snap)
		for i := range 40 {
			req := genBatchRequest(gen, w, i)
			seq.reset()
			want := runBatchRequest(t, plain, req, "one")
			seq.reset()
			got := runBatchRequest(t, snap, req, "one")
			require.Equal(t, want, got, "request %d: %+v", i, req)
		}
	})
}

// Reads inside WithTx go to the database: they see the transaction's own
// writes.
func TestSnapshotNotInTx(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "sw", false))
		startSnapshot(t, s)
		tx := s.db.Begin()
		defer tx.Rollback()
		require.NoError(t, s.WithTx(tx).SetSwitch(ctx, "sw", true))
		on, err := s.WithTx(tx).SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.True(t, on)
	})
}

// A killed listener connection (pg_terminate_backend) is replaced, the
// snapshot reloads, and a change made meanwhile is served.
func TestSnapshotListenerKilled(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		if h.db.Kind != "postgres" {
			t.Skip("PostgreSQL's listener")
		}
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "sw", false))
		startSnapshot(t, s)
		reloads := s.SnapshotStats().Reloads
		db, err := s.db.DB()
		require.NoError(t, err)
		pid := s.snap.listenerPID.Load()
		require.NotZero(t, pid)
		var killed bool
		require.NoError(t, db.QueryRow("SELECT pg_terminate_backend($1)", pid).Scan(&killed))
		require.True(t, killed)
		require.NoError(t, s.SetSwitch(ctx, "sw", true))
		require.Eventually(t, func() bool {
			on, err := s.SwitchIsActive(ctx, "sw")
			require.NoError(t, err)
			return on && s.SnapshotStats().Serving
		}, 5*time.Second, time.Millisecond)
		require.Greater(t, s.SnapshotStats().Reloads, reloads)
	})
}

// PostgreSQL restarted under a running snapshot: while the server is down
// reads fail over to the database (and fail there), never serving a
// snapshot older than SnapshotMaxAge; once it is back the listener
// reconnects, reloads, and serves a change made meanwhile.
func TestSnapshotPostgresRestart(t *testing.T) {
	t.Parallel()
	srv := testdb.NewServer(t)
	gdb, err := gorm.Open(postgres.Open(srv.DSN()), &gorm.Config{Logger: logger.Discard})
	require.NoError(t, err)
	ctx := context.Background()
	s, err := New(gdb, &Config{SnapshotMaxAge: 300 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.SetSwitch(ctx, "sw", false))
	startSnapshot(t, s)

	srv.Stop(t)
	time.Sleep(400 * time.Millisecond) // past SnapshotMaxAge
	require.False(t, s.SnapshotStats().Serving, "stale beyond SnapshotMaxAge")
	_, err = s.SwitchIsActive(ctx, "sw")
	require.Error(t, err, "the read went to the database, which is down")

	srv.Start(t)
	other, err := New(must(gorm.Open(postgres.Open(srv.DSN()), &gorm.Config{Logger: logger.Discard})), nil)
	require.NoError(t, err)
	require.NoError(t, other.SetSwitch(ctx, "sw", true))
	require.Eventually(t, func() bool {
		on, err := s.SwitchIsActive(ctx, "sw")
		return err == nil && on && s.SnapshotStats().Serving
	}, 10*time.Second, 5*time.Millisecond)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// PostgreSQL's notification channel is the database's: a snapshot ignores
// the changes of another schema's tables (another installation, or another
// test, in the same database) and reloads for its own.
func TestSnapshotIgnoresOtherSchemas(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		if h.db.Kind != testdb.Postgres {
			t.Skip("SQLite has no shared notification channel")
		}
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "mine", true))
		startSnapshot(t, s)
		require.Eventually(t, func() bool { return s.SnapshotStats().Serving }, 5*time.Second, time.Millisecond)
		before := s.SnapshotStats().Reloads

		other := &harness{db: testdb.New(t, testdb.Postgres)}
		other.migrate(t)
		o := other.store(t, nil)
		for i := range 5 {
			require.NoError(t, o.SetSwitch(ctx, "theirs"+strconv.Itoa(i), true))
		}
		time.Sleep(200 * time.Millisecond) // the notifications' round trip
		require.Equal(t, before, s.SnapshotStats().Reloads, "another schema's changes are not ours")

		require.NoError(t, s.SetSwitch(ctx, "mine", false))
		require.Eventually(t, func() bool { return s.SnapshotStats().Reloads > before }, 5*time.Second, time.Millisecond)
	})
}
