package waffle

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// The library through PgBouncer 1.18 in transaction pooling mode
// (scripts/with-pgbouncer): no prepared statement survives a transaction
// there, so the Store runs with Config.DisablePreparedStatements and pgx with
// default_query_exec_mode=exec (in the DSN the script gives). Each test has a
// database of its own (PgBouncer forwards no search_path).

// pgBouncerConfig is the Config the docs give for PgBouncer before 1.21.
func pgBouncerConfig() *Config { return &Config{DisablePreparedStatements: true} }

func pgBouncerStore(t *testing.T, db *testdb.DB) *Store {
	t.Helper()
	s, err := New(db.Open(t), pgBouncerConfig())
	require.NoError(t, err)
	return s
}

// Reads and writes of every kind, from more goroutines than PgBouncer has
// server connections, so that consecutive statements of one client land on
// different server connections.
func TestPgBouncerReadsAndWrites(t *testing.T) {
	t.Parallel()
	db := testdb.NewPgBouncer(t)
	ctx := context.Background()
	s := pgBouncerStore(t, db)
	require.NoError(t, s.Migrate(ctx))

	percent := 100.0
	require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Percent: &percent}))
	require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "members", Users: []string{"u1"}, Groups: []string{"staff"}}))
	require.NoError(t, s.AddGroupMembers(ctx, "staff", "u2"))
	require.NoError(t, s.SetSwitch(ctx, "banner", true))
	require.NoError(t, s.SetSample(ctx, "logs", 100))

	const workers = 24
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range 40 {
				name := fmt.Sprintf("w%02d-%02d", w, i)
				if err := s.Set(ctx, name, i); err != nil {
					errs <- err
					return
				}
				v, err := s.Get(ctx, name)
				if err != nil || v.String() != fmt.Sprint(i) {
					errs <- fmt.Errorf("Get(%s) = %q, %w", name, v.String(), err)
					return
				}
				for _, c := range []struct {
					flag string
					user User
					want bool
				}{{"beta", User{}, true}, {"members", User{ID: "u2"}, true}, {"members", User{ID: "u3"}, false}} {
					on, err := s.FlagIsActive(WithUser(ctx, c.user), c.flag)
					if err != nil || on != c.want {
						errs <- fmt.Errorf("FlagIsActive(%s, %s) = %v, %w", c.flag, c.user.ID, on, err)
						return
					}
				}
				if on, err := s.SwitchIsActive(ctx, "banner"); err != nil || !on {
					errs <- fmt.Errorf("SwitchIsActive = %v, %w", on, err)
					return
				}
				if on, err := s.SampleIsActive(ctx, "logs"); err != nil || !on {
					errs <- fmt.Errorf("SampleIsActive = %v, %w", on, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// SetFromJSON: one transaction, array arguments (pgx's exec mode must
	// encode them without asking the server), and a refused batch writes
	// nothing.
	blob := manyFlags(2000, nil)
	require.NoError(t, s.SetFromJSON(ctx, blob))
	v, err := s.Get(ctx, "flag-01999")
	require.NoError(t, err)
	require.Equal(t, "1999", v.String())
	require.NoError(t, s.SetFromJSON(ctx, []byte(`{"flag-00001": null, "json-true": true}`)))
	v, err = s.Get(ctx, "flag-00001")
	require.NoError(t, err)
	require.True(t, v.Null())
	require.ErrorIs(t, s.SetFromJSON(ctx, []byte(`{"ok": "1", "_bad": "2"}`)), ErrInvalidJSON)
	_, err = s.Get(ctx, "ok")
	require.NoError(t, err)
	var n int64
	require.NoError(t, s.db.Raw("SELECT count(*) FROM waffle_string_flag WHERE name = 'ok'").Scan(&n).Error)
	require.Zero(t, n)

	// The status handler evaluates every flag in one request.
	_, body := roundTrip(t, s, s.StatusHandler(), get("/"))
	require.Contains(t, body, `"beta":{"is_active":true`)
}

// SyncMembership from 8 stores at once (8 processes' pools) through
// PgBouncer: transaction-scoped advisory locks serialise each flag's sync, so
// every store ends with the same groups and no store sees an error.
func TestPgBouncerSyncFromEightStores(t *testing.T) {
	t.Parallel()
	db := testdb.NewPgBouncer(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cfg := pgBouncerConfig()
	cfg.Now = func() time.Time { return now }
	setup, err := New(db.Open(t), cfg)
	require.NoError(t, err)
	require.NoError(t, setup.Migrate(ctx))

	const flags, users = 6, 40
	want := map[string][]string{}
	for f := range flags {
		name := fmt.Sprintf("f%d", f)
		require.NoError(t, setup.SaveFlag(ctx, &Flag{Name: name}))
		for u := range users {
			user := fmt.Sprintf("u%03d", u)
			start := now.Add(-time.Hour)
			if (u+f)%3 == 0 {
				start = now.Add(time.Hour) // not active yet
			} else {
				want[name] = append(want[name], user)
			}
			_, err := setup.AddWindow(ctx, FlagMember{Flag: name, User: user, Start: start})
			require.NoError(t, err)
		}
	}

	const stores = 8
	var wg sync.WaitGroup
	errs := make([]error, stores)
	for i := range stores {
		s, err := New(db.Open(t), cfg)
		require.NoError(t, err)
		wg.Go(func() {
			for range 3 {
				res, err := s.SyncMembership(ctx)
				if err == nil {
					for _, fs := range res.Flags {
						if fs.Err != nil {
							err = fmt.Errorf("flag %s: %w", fs.Flag, fs.Err)
							break
						}
					}
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "store %d", i)
	}
	for name, users := range want {
		got, err := setup.GroupMembers(ctx, SyncGroupName(name))
		require.NoError(t, err)
		sort.Strings(got)
		require.Equal(t, users, got, name)
	}
}

// envMigrateHelper makes the test binary a migrating process for
// TestPgBouncerMigrateFromSixProcesses.
const envMigrateHelper = "WAFFLE_TEST_MIGRATE_HELPER_DSN"

// Migrate from 6 processes at once through PgBouncer: each process is this
// test binary running TestPgBouncerMigrateHelper. The migration lock is a
// transaction-scoped advisory lock, so PgBouncer may hand each transaction
// to any server connection.
func TestPgBouncerMigrateFromSixProcesses(t *testing.T) {
	t.Parallel()
	db := testdb.NewPgBouncer(t)
	const processes = 6
	var wg sync.WaitGroup
	outs := make([][]byte, processes)
	errs := make([]error, processes)
	for i := range processes {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPgBouncerMigrateHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), envMigrateHelper+"="+db.DSN)
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range processes {
		require.NoError(t, errs[i], "process %d: %s", i, outs[i])
		require.Contains(t, string(outs[i]), "migrated", "process %d ran the helper: %s", i, outs[i])
	}
	s := pgBouncerStore(t, db)
	status, err := s.MigrationStatus(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, status)
	for _, m := range status {
		require.True(t, m.Applied, "version %d", m.Version)
	}
	var versions, rows int64
	require.NoError(t, s.db.Raw("SELECT count(DISTINCT version), count(*) FROM waffle_schema_version").Row().Scan(&versions, &rows))
	require.Equal(t, versions, rows, "each version recorded once")
	require.NoError(t, s.SaveFlag(context.Background(), &Flag{Name: "after"}))
}

// TestPgBouncerMigrateHelper is one migrating process of
// TestPgBouncerMigrateFromSixProcesses; it does nothing when run directly.
func TestPgBouncerMigrateHelper(t *testing.T) {
	dsn := os.Getenv(envMigrateHelper)
	if dsn == "" {
		t.Skip("a helper process of TestPgBouncerMigrateFromSixProcesses")
	}
	s, err := New((&testdb.DB{Kind: testdb.Postgres, DSN: dsn}).Open(t), pgBouncerConfig())
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background()))
	fmt.Println("migrated")
}
