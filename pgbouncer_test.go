package waffle

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
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

// djangoBehindPgBouncer migrates db (a database reached through PgBouncer)
// with the test Django project, which connects to the server directly as a
// Django site would with its own connections, and returns the project.
func djangoBehindPgBouncer(t *testing.T, db *testdb.DB) *djangotest.Project {
	t.Helper()
	bouncer, err := url.Parse(db.DSN)
	require.NoError(t, err)
	direct, err := url.Parse(testdb.PostgresDSN(t))
	require.NoError(t, err)
	direct.Path = bouncer.Path
	p := djangotest.New(t, &testdb.DB{Kind: testdb.Postgres, DSN: direct.String()}, djangotest.Options{})
	p.Migrate(t)
	return p
}

// pgBouncerDjangoStore is a Django-mode Store through PgBouncer.
func pgBouncerDjangoStore(t *testing.T, db *testdb.DB, now func() time.Time) *Store {
	t.Helper()
	cfg := pgBouncerConfig()
	cfg.Django = &DjangoConfig{}
	cfg.Now = now
	s, err := New(db.Open(t), cfg)
	require.NoError(t, err)
	return s
}

// Django mode through PgBouncer: reads of Django's rows (a user's groups
// from auth_user_groups), writes to Django's tables and the library's own,
// from more goroutines than PgBouncer has server connections; Django reads
// back and full_clean()s every row written.
func TestPgBouncerDjangoReadsAndWrites(t *testing.T) {
	t.Parallel()
	db := testdb.NewPgBouncer(t)
	p := djangoBehindPgBouncer(t, db)
	ctx := context.Background()
	p.Run(t, "write", map[string]any{
		"users": []map[string]any{{"id": "1"}, {"id": "2", "groups": []string{"staff"}}, {"id": "3"}},
		"flags": []map[string]any{
			{"name": "on", "everyone": true},
			{"name": "members", "users": []string{"1"}, "groups": []string{"staff"}},
		},
		"switches": []map[string]any{{"name": "banner", "active": true}},
		"samples":  []map[string]any{{"name": "logs", "percent": "100.0"}},
	}, nil)
	s := pgBouncerDjangoStore(t, db, nil)
	require.NoError(t, s.Migrate(ctx))

	const workers, rounds = 24, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				name := fmt.Sprintf("w%02d-%02d", w, i)
				// Django's waffle_switch and waffle_sample, the library's
				// string flags: each write one transaction with its audit entry.
				if err := s.SetSwitch(ctx, name, i%2 == 0); err != nil {
					errs <- fmt.Errorf("SetSwitch(%s): %w", name, err)
					return
				}
				if err := s.SetSample(ctx, name, float64(i)+0.5); err != nil {
					errs <- fmt.Errorf("SetSample(%s): %w", name, err)
					return
				}
				if err := s.Set(ctx, name, i); err != nil {
					errs <- fmt.Errorf("Set(%s): %w", name, err)
					return
				}
				if on, err := s.SwitchIsActive(ctx, name); err != nil || on != (i%2 == 0) {
					errs <- fmt.Errorf("SwitchIsActive(%s) = %v, %w", name, on, err)
					return
				}
				for _, c := range []struct {
					flag string
					user User
					want bool
				}{
					{"on", User{}, true},
					{"members", User{ID: "1"}, true},
					{"members", User{ID: "2"}, true}, // in staff, found in auth_user_groups
					{"members", User{ID: "3"}, false},
				} {
					on, err := s.FlagIsActive(WithUser(ctx, c.user), c.flag)
					if err != nil || on != c.want {
						errs <- fmt.Errorf("FlagIsActive(%s, %s) = %v, %w", c.flag, c.user.ID, on, err)
						return
					}
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

	// Flags with users and groups, a group's members: Django's m2m tables.
	percent := 12.5
	require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "go_flag", Percent: &percent, Users: []string{"3"}, Groups: []string{"pilots"}}))
	require.NoError(t, s.AddGroupMembers(ctx, "pilots", "1"))
	on, err := s.FlagIsActive(WithUser(ctx, User{ID: "1"}), "go_flag")
	require.NoError(t, err)
	require.True(t, on)

	var r djangoRead
	p.Run(t, "read", struct{}{}, &r)
	require.Len(t, r.Switches, 1+workers*rounds)
	require.Len(t, r.Samples, 1+workers*rounds)
	for _, sw := range r.Switches {
		require.Empty(t, sw.Error, sw.Name)
	}
	for _, sa := range r.Samples {
		require.Empty(t, sa.Error, sa.Name)
	}
	var goFlag bool
	for _, f := range r.Flags {
		require.Empty(t, f.Error, f.Name)
		if f.Name == "go_flag" {
			goFlag = true
			require.Equal(t, "12.5", *f.Percent)
			require.Equal(t, []string{"3"}, f.Users)
			require.Equal(t, []string{"pilots"}, f.Groups)
		}
	}
	require.True(t, goFlag)
	require.Equal(t, []string{"1"}, r.group("pilots"))
}

// Django mode's SyncMembership from 8 stores at once through PgBouncer, of
// waffle-window's windows Django wrote: every store succeeds, and Django
// reads the same WAFFLE_ groups as waffle-window's algorithm gives.
func TestPgBouncerDjangoSyncFromEightStores(t *testing.T) {
	t.Parallel()
	db := testdb.NewPgBouncer(t)
	p := djangoBehindPgBouncer(t, db)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	const flags, users = 6, 40
	var fl []map[string]any
	var windows []map[string]any
	want := map[string][]string{}
	for f := range flags {
		name := fmt.Sprintf("f%d", f)
		fl = append(fl, map[string]any{"name": name})
		for u := 1; u <= users; u++ {
			start, end := "2026-11-01", "2026-12-01" // live today, inclusive end
			switch (u + f) % 4 {
			case 0:
				start = "2026-12-02" // not yet
			case 1:
				end = "2026-11-30" // over
			default:
				want[SyncGroupName(name)] = append(want[SyncGroupName(name)], strconv.Itoa(u))
			}
			windows = append(windows, map[string]any{"user": strconv.Itoa(u), "flag": name, "start": start, "end": end})
		}
	}
	p.Run(t, "write", map[string]any{"bulk_users": users, "flags": fl, "windows": windows}, nil)
	setup := pgBouncerDjangoStore(t, db, clock)
	require.NoError(t, setup.Migrate(ctx))

	const stores = 8
	var wg sync.WaitGroup
	errs := make([]error, stores)
	for i := range stores {
		s := pgBouncerDjangoStore(t, db, clock)
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
	var r djangoRead
	p.Run(t, "read", struct{}{}, &r)
	for group, members := range want {
		got := r.group(group)
		sort.Strings(got)
		sort.Strings(members)
		require.Equal(t, members, got, group)
	}
	for _, f := range r.Flags {
		require.Equal(t, []string{SyncGroupName(f.Name)}, f.Groups, "attached through waffle_flag_groups")
	}
	on, err := setup.FlagIsActive(WithUser(ctx, User{ID: want[SyncGroupName("f0")][0]}), "f0")
	require.NoError(t, err)
	require.True(t, on)
}

// Django mode's snapshot through PgBouncer: the fingerprint polls and the
// reloads run in transaction pooling, and a change Django commits is served
// from the snapshot.
func TestPgBouncerDjangoSnapshot(t *testing.T) {
	t.Parallel()
	db := testdb.NewPgBouncer(t)
	p := djangoBehindPgBouncer(t, db)
	p.Run(t, "write", map[string]any{
		"users": []map[string]any{{"id": "1"}, {"id": "2", "groups": []string{"staff"}}},
		"flags": []map[string]any{{"name": "beta", "groups": []string{"staff"}}},
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := pgBouncerConfig()
	cfg.Django = &DjangoConfig{}
	cfg.SnapshotPollInterval = 20 * time.Millisecond
	cfg.SnapshotMaxAge = time.Hour
	s, err := New(db.Open(t), cfg)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.StartSnapshot(ctx))
	u1 := WithUser(ctx, User{ID: "1"})
	on, err := s.FlagIsActive(WithUser(ctx, User{ID: "2"}), "beta")
	require.NoError(t, err)
	require.True(t, on, "in staff, by auth_user_groups")
	on, err = s.FlagIsActive(u1, "beta")
	require.NoError(t, err)
	require.False(t, on)

	p.Run(t, "orm", map[string]any{"ops": []map[string]any{{"op": "flag_users_add", "flag": "beta", "users": []string{"1"}}}}, nil)
	require.Eventually(t, func() bool {
		on, err := s.FlagIsActive(u1, "beta")
		require.NoError(t, err)
		return on && s.SnapshotStats().Serving
	}, 5*time.Second, 5*time.Millisecond)
	require.EqualValues(t, 2, s.SnapshotStats().Reloads, "the first load and the one the fingerprint asked for")
}
