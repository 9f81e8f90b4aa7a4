package waffle

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// djangoSnapshotConfig polls often and, with a long SnapshotMaxAge, never
// reloads in full during a test: a change seen was seen by the fingerprint.
func djangoSnapshotConfig() *Config {
	return &Config{
		Django:               &DjangoConfig{},
		SnapshotPollInterval: 20 * time.Millisecond,
		SnapshotMaxAge:       time.Hour,
		SnapshotMaxUsers:     2,
		Rand:                 func() float64 { return 0.3 },
	}
}

// seenWithin is how long the tests give a change to reach the snapshot: the
// stated bound is one poll interval and one load (milliseconds); the rest
// is room for a loaded 2-core test machine. A change the fingerprint missed
// would wait for the full reload, an hour away.
const seenWithin = 5 * time.Second

// startDjangoSnapshot starts the snapshot of a new Django-mode Store on h's
// database, with cfg, and returns the Store and its statement counter.
func startDjangoSnapshot(t *testing.T, h *djangoHarness, cfg *Config) (*Store, *testdb.Counter) {
	t.Helper()
	gdb, counter := h.db.OpenCounting(t)
	s, err := New(gdb, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	require.NoError(t, s.StartSnapshot(ctx))
	require.True(t, s.SnapshotStats().Serving)
	return s, counter
}

type djangoSnapCase struct {
	flag   string
	user   *User
	want   bool
	reason string
}

func (c djangoSnapCase) ctx() context.Context {
	if c.user == nil {
		return context.Background()
	}
	return WithUser(context.Background(), *c.user)
}

// The snapshot decides as the database does in Django mode: users listed
// (few and many), groups from auth_user_groups and by name, IDs that are not
// auth_user keys, percent and samples by django-waffle's draw.
func TestDjangoSnapshotDecides(t *testing.T) {
	t.Parallel()
	cfg := djangoSnapshotConfig()
	eachDjangoDB(t, djangotest.Options{}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{
			"users": []map[string]any{
				{"id": "1"}, {"id": "2", "groups": []string{"staff"}}, {"id": "3"},
				{"id": "4", "groups": []string{"pilots"}}, {"id": "5"},
			},
			"flags": []map[string]any{
				{"name": "on", "everyone": true},
				{"name": "off", "everyone": false, "users": []string{"1"}},
				{"name": "listed", "users": []string{"1"}},
				{"name": "large", "users": []string{"1", "2", "3"}}, // SnapshotMaxUsers 2: stays in the database
				{"name": "grouped", "groups": []string{"staff"}},
				{"name": "pilots", "groups": []string{"pilots"}},
				{"name": "pct", "percent": "30.0"}, // r*100 = 30 <= 30: on in Django mode
				{"name": "pct_low", "percent": "29.9"},
			},
			"switches": []map[string]any{{"name": "sw", "active": true}},
			"samples":  []map[string]any{{"name": "sa", "percent": "30.0"}, {"name": "sa_low", "percent": "29.9"}},
		}, nil)
		require.NoError(t, h.s.Set(ctx, "str", "v"))
		snap, counter := startDjangoSnapshot(t, h, cfg)

		u := func(id string, groups ...string) *User { return &User{ID: id, Groups: groups} }
		cases := []djangoSnapCase{
			{"on", nil, true, "everyone"},
			{"off", u("1"), false, "everyone off is absolute"},
			{"listed", u("1"), true, "listed"},
			{"listed", u("2"), false, "not listed"},
			{"listed", u("01"), false, "not a canonical auth_user key"},
			{"listed", u("abc"), false, "not an auth_user key"},
			{"large", u("3"), true, "listed on a large flag (read in the database)"},
			{"large", u("5"), false, "not listed on a large flag"},
			{"large", u("003"), false, "not a canonical key, large flag"},
			{"grouped", u("2"), true, "in staff by auth_user_groups"},
			{"grouped", u("4"), false, "in pilots only"},
			{"grouped", u("", "staff"), true, "a group passed by name"},
			{"grouped", u("x", "staff"), true, "a group passed by name, unknown user"},
			{"pilots", u("4"), true, "in pilots"},
			{"pilots", u("02"), false, "not a canonical key"},
			{"pct", nil, true, "30 <= 30"},
			{"pct_low", nil, false, "30 > 29.9"},
		}
		for _, c := range cases {
			want, err := h.s.FlagIsActive(c.ctx(), c.flag)
			require.NoError(t, err)
			require.Equal(t, c.want, want, "database: %s %+v: %s", c.flag, c.user, c.reason)
		}
		counter.Reset()
		for _, c := range cases {
			got, err := snap.FlagIsActive(c.ctx(), c.flag)
			require.NoError(t, err)
			require.Equal(t, c.want, got, "snapshot: %s %+v: %s", c.flag, c.user, c.reason)
		}
		for _, c := range []struct {
			name string
			want bool
		}{{"sa", true}, {"sa_low", false}} {
			on, err := snap.SampleIsActive(ctx, c.name)
			require.NoError(t, err)
			require.Equal(t, c.want, on, "sample %s: django-waffle's draw", c.name)
		}
		on, err := snap.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.True(t, on)
		v, err := snap.Get(ctx, "str")
		require.NoError(t, err)
		require.Equal(t, "v", v.String())
		// Served from memory: no statement but the poller's fingerprint and
		// the memberships of identified users.
		allowed := map[string]bool{snap.q.SQL("django_snapshot_fingerprint"): true, snap.q.SQL("snapshot_memberships"): true}
		for _, st := range counter.Statements() {
			require.True(t, allowed[st], "a read went to the database: %s", st)
		}
		require.EqualValues(t, 1, snap.SnapshotStats().Reloads)
	})
}

// The freshness promise: a change made through Django's ORM (what the admin
// does: save(), delete(), many-to-many add and remove, a group renamed) is
// served by the snapshot within a poll interval and a load, on both
// databases; the full reload, which finds the rest, is an hour away here.
func TestDjangoSnapshotSeesDjangoWrites(t *testing.T) {
	t.Parallel()
	cfg := djangoSnapshotConfig()
	eachDjangoDB(t, djangotest.Options{}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{
			"users": []map[string]any{{"id": "1"}, {"id": "2"}, {"id": "3", "groups": []string{"pilots"}}},
			"flags": []map[string]any{
				{"name": "beta", "everyone": true},
				{"name": "listed", "users": []string{"1"}},
				{"name": "pilots", "groups": []string{"pilots"}},
				{"name": "doomed", "everyone": true},
			},
			"switches": []map[string]any{{"name": "sw", "active": true}},
			"samples":  []map[string]any{{"name": "sa", "percent": "100.0"}},
		}, nil)
		snap, _ := startDjangoSnapshot(t, h, cfg)

		flag := func(name string, u *User) func() bool {
			return func() bool {
				c := djangoSnapCase{flag: name, user: u}
				on, err := snap.FlagIsActive(c.ctx(), name)
				require.NoError(t, err)
				return on
			}
		}
		// eventually requires cond to hold within seenWithin of the change,
		// read from the snapshot (serving, not stale and sending reads to
		// the database).
		eventually := func(cond func() bool, what string) {
			t.Helper()
			start := time.Now()
			require.Eventually(t, func() bool { return snap.SnapshotStats().Serving && cond() }, seenWithin, 5*time.Millisecond, what)
			t.Logf("%s: seen after %v", what, time.Since(start).Round(time.Millisecond))
		}
		require.True(t, flag("beta", nil)())
		require.True(t, flag("pilots", &User{Groups: []string{"pilots"}})())

		// save() of a flag, a switch and a sample.
		h.django.Run(t, "write", map[string]any{
			"flags":    []map[string]any{{"name": "beta", "everyone": false}},
			"switches": []map[string]any{{"name": "sw", "active": false}},
			"samples":  []map[string]any{{"name": "sa", "percent": "0.0"}},
		}, nil)
		eventually(func() bool { return !flag("beta", nil)() }, "flag saved")
		on, err := snap.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.False(t, on, "switch saved")
		on, err = snap.SampleIsActive(ctx, "sa")
		require.NoError(t, err)
		require.False(t, on, "sample saved")

		// Many-to-many only: the flag's row (and its modified) unchanged.
		h.django.Run(t, "orm", map[string]any{"ops": []map[string]any{{"op": "flag_users_add", "flag": "listed", "users": []string{"2"}}}}, nil)
		eventually(flag("listed", &User{ID: "2"}), "user added")
		h.django.Run(t, "orm", map[string]any{"ops": []map[string]any{{"op": "flag_users_remove", "flag": "listed", "users": []string{"1"}}}}, nil)
		eventually(func() bool { return !flag("listed", &User{ID: "1"})() }, "user removed")

		// A group attached to a flag renamed: names passed by the
		// application match the new name.
		h.django.Run(t, "orm", map[string]any{"ops": []map[string]any{{"op": "group_rename", "name": "pilots", "to": "aviators"}}}, nil)
		eventually(flag("pilots", &User{Groups: []string{"aviators"}}), "group renamed")
		require.False(t, flag("pilots", &User{Groups: []string{"pilots"}})())

		// A flag deleted, one created.
		h.django.Run(t, "write", map[string]any{"delete_flags": []string{"doomed"}, "flags": []map[string]any{{"name": "fresh", "everyone": true}}}, nil)
		eventually(flag("fresh", nil), "flag created")
		require.False(t, flag("doomed", nil)(), "deleted: missing, FlagDefault")
		require.NotContains(t, snap.snap.data.Load().flags, "doomed")

		// The library's own writes (string flags) are seen too.
		require.NoError(t, h.s.Set(ctx, "str", "two"))
		eventually(func() bool {
			v, err := snap.Get(ctx, "str")
			require.NoError(t, err)
			return v.String() == "two"
		}, "string flag set by another Store")
	})
}

// What the fingerprint cannot see (a QuerySet.update(), which leaves
// modified as it was) is found by the full reload every SnapshotMaxAge/2:
// the snapshot is never stale by more than SnapshotMaxAge, and the poller
// reloads on that schedule with nothing changed.
func TestDjangoSnapshotFullReload(t *testing.T) {
	t.Parallel()
	cfg := djangoSnapshotConfig()
	cfg.SnapshotMaxAge = 600 * time.Millisecond
	eachDjangoDB(t, djangotest.Options{}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{"switches": []map[string]any{{"name": "sw", "active": true}}}, nil)
		snap, _ := startDjangoSnapshot(t, h, cfg)

		h.django.Run(t, "orm", map[string]any{"ops": []map[string]any{{"op": "switch_update", "name": "sw", "active": false}}}, nil)
		start := time.Now()
		require.Eventually(t, func() bool {
			if !snap.SnapshotStats().Serving {
				return false
			}
			on, err := snap.SwitchIsActive(ctx, "sw")
			require.NoError(t, err)
			return !on
		}, cfg.SnapshotMaxAge+seenWithin, 5*time.Millisecond)
		t.Logf("QuerySet.update() seen after %v", time.Since(start).Round(time.Millisecond))

		before := snap.SnapshotStats().Reloads
		time.Sleep(3 * cfg.SnapshotMaxAge)
		st := snap.SnapshotStats()
		require.GreaterOrEqual(t, st.Reloads-before, int64(3), "a full reload every SnapshotMaxAge/2")
		require.Less(t, st.Age, cfg.SnapshotMaxAge, "known current as of its last load")
		require.True(t, st.Serving)
	})
}

// The Django-mode snapshot starts and stops as the library's does.
func TestDjangoSnapshotRunning(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds {
		t.Run(testdb.KindName(kind), func(t *testing.T) {
			t.Parallel()
			cfg := djangoSnapshotConfig()
			s, err := New(testdb.New(t, kind).Open(t), cfg)
			require.NoError(t, err)
			err = s.StartSnapshot(context.Background())
			require.Error(t, err, "without Django's tables the first fingerprint fails")
			require.False(t, s.SnapshotStats().Running)
			require.Contains(t, fmt.Sprint(err), "snapshot")
		})
	}
}
