package waffle

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// startWatchedSnapshot starts the snapshot of s, a counting Store, through
// a second Store on h's database with cfg that shares s's snapshot state:
// the watcher's own statements (SQLite's data_version polls) stay out of
// s's count, and PostgreSQL's listener gets the pgx connection the
// counting driver hides.
func startWatchedSnapshot(t *testing.T, h *harness, s *Store, cfg *Config) {
	t.Helper()
	w := h.store(t, cfg)
	w.snap = s.snap
	startSnapshot(t, w)
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
		startWatchedSnapshot(t, h, s, nil)
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

		// Evaluate, without the middleware: the same one statement.
		var n Names
		for i := range 30 {
			n.Flags = append(n.Flags, "g"+strconv.Itoa(i))
		}
		n.Flags = append(n.Flags, "everyone")
		counter.Reset()
		res, err := s.Evaluate(WithUser(ctx, User{ID: "u1"}), n)
		require.NoError(t, err)
		require.Len(t, res.Flags, 31)
		for name, on := range res.Flags {
			require.True(t, on, name)
		}
		require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
		counter.Reset()
		res, err = s.Evaluate(ctx, Names{Flags: []string{"everyone"}, Switches: []string{"no-such-switch"}})
		require.NoError(t, err)
		require.True(t, res.Flags["everyone"])
		require.Equal(t, int64(1), counter.Count(), "the missing switch: %v", counter.Statements())
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

// Evaluate on a Store whose snapshot serves answers as a stateless Store's
// Evaluate does: the generated flags and requests of
// TestEvaluateMatchesOneNameCalls (answers, sample draws, cookies, logs of
// missing names, under each MissingFlagHandling), with a flag with more
// users than SnapshotMaxUsers and one whose users the SnapshotMaxBytes
// bound leaves in the database.
func TestSnapshotEvaluateMatchesStateless(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		gen := rand.New(rand.NewPCG(16, 16))
		w := seedBatchWorld(t, h.store(t, nil), gen)
		ctx := context.Background()
		many := make([]string, 40)
		for i := range many {
			many[i] = fmt.Sprintf("u%d-with-a-long-id-%d", i%7, i)
		}
		require.NoError(t, h.store(t, nil).SaveFlag(ctx, &Flag{Name: "long-list", Users: append(many, "u3")}))
		w.flags = append(w.flags, "long-list")
		for cfgN, mode := range []MissingFlagMode{ReturnFalse, ReturnEmpty, ReturnNone, Exception} {
			var logs [2]strings.Builder
			seq := &seqRand{seed: uint64(cfgN)}
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			cfg := func(logs *strings.Builder, maxBytes int64) *Config {
				return &Config{Override: cfgN%2 == 0, Rand: seq.draw, Now: func() time.Time { return now },
					MissingFlagHandling: mode, FlagDefault: cfgN == 1, SwitchDefault: cfgN == 2, SampleDefault: cfgN == 3,
					SnapshotMaxUsers: 5, SnapshotMaxBytes: maxBytes, LogMissingFlags: slog.LevelWarn,
					LogMissingSwitches: slog.LevelInfo, LogMissingSamples: slog.LevelWarn,
					Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{
						ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
							if a.Key == slog.TimeKey {
								return slog.Attr{}
							}
							return a
						},
					}))}
			}
			plain := h.store(t, cfg(&logs[0], 0))
			snap := h.store(t, cfg(&logs[1], 0))
			startSnapshot(t, snap)
			// Bound the snapshot to what it holds less the longest list but
			// one: that list goes back to the database.
			full := snap.SnapshotStats()
			snap.cfg.SnapshotMaxBytes = full.Bytes - 1
			require.NoError(t, snap.reloadSnapshot(ctx))
			st := snap.SnapshotStats()
			require.True(t, st.Serving)
			require.Greater(t, st.UsersInDatabase, full.UsersInDatabase)
			require.LessOrEqual(t, st.Bytes, st.MaxBytes)
			for i := range 25 {
				req := genBatchRequest(gen, w, i)
				label := fmt.Sprintf("config %d, request %d: %+v", cfgN, i, req)
				seq.reset()
				logs[0].Reset()
				want := runBatchRequest(t, plain, req, "evaluate")
				want.Logs = strings.Split(logs[0].String(), "\n")
				seq.reset()
				logs[1].Reset()
				got := runBatchRequest(t, snap, req, "evaluate")
				got.Logs = strings.Split(logs[1].String(), "\n")
				require.True(t, snap.SnapshotStats().Serving, label)
				require.Equal(t, want, got, label)
			}
		}
	})
}

// The status view and wafflejs answer from a serving snapshot as from the
// database: the same body and cookies for the generated requests of
// TestEvaluateMatchesOneNameCalls (a name another tool wrote, which breaks
// the name rule, left out by both), and no statement for a visitor.
func TestSnapshotListingMatchesStateless(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		gen := rand.New(rand.NewPCG(17, 17))
		setup := h.store(t, nil)
		w := seedBatchWorld(t, setup, gen)
		db, err := setup.db.DB()
		require.NoError(t, err)
		_, err = db.Exec("INSERT INTO waffle_switch (name, active, created, modified) VALUES ('_bad-name', TRUE, ?, ?)",
			time.Now().UTC(), time.Now().UTC())
		if err != nil { // PostgreSQL's placeholders
			_, err = db.Exec("INSERT INTO waffle_switch (name, active, created, modified) VALUES ('_bad-name', TRUE, now(), now())")
		}
		require.NoError(t, err)
		seq := &seqRand{seed: 5}
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		cfg := Config{Override: true, Rand: seq.draw, Now: func() time.Time { return now }, SnapshotMaxUsers: 2}
		plain := h.store(t, &cfg)
		snap, counter := h.countingStore(t, &cfg)
		startWatchedSnapshot(t, h, snap, &cfg)
		serve := func(s *Store, req batchRequest) (string, []string) {
			target := "/"
			if req.query != "" {
				target += "?" + req.query
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			for _, c := range req.cookies {
				r.Header.Add("Cookie", c)
			}
			h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				if req.user != nil {
					ctx = WithUser(ctx, *req.user)
				}
				js, err := s.JS(ctx)
				require.NoError(t, err)
				_, _ = w.Write([]byte(js))
				s.StatusHandler().ServeHTTP(w, r.WithContext(ctx))
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec.Body.String(), rec.Result().Header.Values("Set-Cookie")
		}
		for i := range 30 {
			req := genBatchRequest(gen, w, i)
			seq.reset()
			wantBody, wantCookies := serve(plain, req)
			seq.reset()
			counter.Reset()
			gotBody, gotCookies := serve(snap, req)
			require.True(t, snap.SnapshotStats().Serving)
			require.Equal(t, wantBody, gotBody, "request %d: %+v", i, req)
			require.Equal(t, wantCookies, gotCookies, "request %d: %+v", i, req)
			require.NotContains(t, gotBody, "_bad-name")
			if req.user == nil || req.user.ID == "" {
				require.Zero(t, counter.Count(), "request %d: %v", i, counter.Statements())
			}
		}
	})
}

// SnapshotMaxBytes bounds the snapshot: over it, the longest user lists
// stay in the database (their users still match, at one statement per
// request); when the definitions alone do not fit, the snapshot serves
// nothing and reads go to the database. The stats report bytes, flags and
// age against the bound.
func TestSnapshotMaxBytes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		setup := h.store(t, nil)
		long := make([]string, 200)
		for i := range long {
			long[i] = fmt.Sprintf("user-%04d", i)
		}
		require.NoError(t, setup.SaveFlag(ctx, &Flag{Name: "long", Users: long}))
		require.NoError(t, setup.SaveFlag(ctx, &Flag{Name: "short", Users: []string{"user-0001", "user-0002"}}))
		require.NoError(t, setup.SetSwitch(ctx, "sw", true))

		unbounded := h.store(t, nil)
		startSnapshot(t, unbounded)
		all := unbounded.SnapshotStats()
		require.Equal(t, 2, all.Flags)
		require.Zero(t, all.UsersInDatabase)
		require.Equal(t, int64(64<<20), all.MaxBytes, "the default")
		require.Less(t, all.Age, time.Minute)

		// Room for everything but the long list.
		s, counter := h.countingStore(t, &Config{SnapshotMaxBytes: all.Bytes - 200*8})
		startWatchedSnapshot(t, h, s, &Config{SnapshotMaxBytes: all.Bytes - 200*8})
		st := s.SnapshotStats()
		require.True(t, st.Serving)
		require.False(t, st.OverLimit)
		require.Equal(t, 2, st.Flags)
		require.Equal(t, 1, st.UsersInDatabase)
		require.LessOrEqual(t, st.Bytes, st.MaxBytes)
		require.Less(t, st.Bytes, all.Bytes-200*8)
		for _, c := range []struct {
			user, flag string
			want       bool
			statements int64
		}{
			{"user-0150", "long", true, 1}, // from the database
			{"user-0999", "long", false, 1},
			{"user-0002", "short", true, 0}, // from memory
			{"user-0999", "short", false, 0},
		} {
			counter.Reset()
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: c.user}), c.flag)
			require.NoError(t, err)
			require.Equal(t, c.want, on, "%+v", c)
			require.Equal(t, c.statements, counter.Count(), "%+v: %v", c, counter.Statements())
		}

		// No room even for the definitions: nothing served from memory.
		tiny, counter := h.countingStore(t, &Config{SnapshotMaxBytes: 10})
		startWatchedSnapshot(t, h, tiny, &Config{SnapshotMaxBytes: 10})
		st = tiny.SnapshotStats()
		require.True(t, st.Running)
		require.True(t, st.OverLimit)
		require.False(t, st.Serving)
		require.Greater(t, st.Bytes, st.MaxBytes)
		counter.Reset()
		on, err := tiny.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.True(t, on)
		require.Equal(t, int64(1), counter.Count(), "read from the database")
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
