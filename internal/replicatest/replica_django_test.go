package replicatest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/plugin/dbresolver"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/djangotest"
)

// Django mode with a read replica: the test Django project (internal/
// djangotest) migrates the primary's schema and writes there, as a Django
// site does; Django-mode Stores read through dbresolver's replica and write
// on the primary.

// djangoRead is the part of gotest.py read's answer these tests check.
type djangoRead struct {
	Flags []struct {
		Name   string   `json:"name"`
		Users  []string `json:"users"`
		Groups []string `json:"groups"`
		Error  string   `json:"error"`
	} `json:"flags"`
	Switches []struct {
		Name   string `json:"name"`
		Active bool   `json:"active"`
		Error  string `json:"error"`
	} `json:"switches"`
	Samples []struct {
		Name  string `json:"name"`
		Error string `json:"error"`
	} `json:"samples"`
	Groups []struct {
		Name  string   `json:"name"`
		Users []string `json:"users"`
	} `json:"groups"`
}

func (r djangoRead) group(name string) []string {
	for _, g := range r.Groups {
		if g.Name == name {
			return g.Users
		}
	}
	return nil
}

// djangoCluster is a cluster whose primary schema Django migrated.
func djangoCluster(t *testing.T) (*cluster, *djangotest.Project) {
	t.Helper()
	djangotest.Require(t)
	c := newCluster(t)
	p := djangotest.New(t, c.pdb, djangotest.Options{})
	p.Migrate(t)
	return c, p
}

// djangoStore is a Django-mode Store on handle (the replica-reading one or
// the plain one).
func djangoStore(t *testing.T, c *cluster, replica bool) *waffle.Store {
	t.Helper()
	db := c.db
	if replica {
		db = c.db.Clauses(dbresolver.Read)
	}
	s, err := waffle.New(db, &waffle.Config{Django: &waffle.DjangoConfig{}})
	require.NoError(t, err)
	return s
}

// A change made in Django's admin (on the primary) reaches a Django-mode
// Store reading through the replica after the replication lag, and at once
// in WithTx or through a Store on the plain handle.
func TestReplicaDjangoReadsSeeDjangoWritesAfterLag(t *testing.T) {
	c, p := djangoCluster(t)
	ctx := context.Background()
	p.Run(t, "write", map[string]any{
		"users": []map[string]any{{"id": "1"}, {"id": "2", "groups": []string{"staff"}}, {"id": "3"}},
		"flags": []map[string]any{{"name": "beta", "users": []string{"1"}}},
	}, nil)
	replica := djangoStore(t, c, true)
	primary := djangoStore(t, c, false)
	require.NoError(t, replica.Migrate(ctx), "Migrate runs on the primary")
	c.caughtUp(t)
	u2 := waffle.WithUser(ctx, waffle.User{ID: "2"})
	on, err := replica.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "1"}), "beta")
	require.NoError(t, err)
	require.True(t, on)
	on, err = replica.FlagIsActive(u2, "beta")
	require.NoError(t, err)
	require.False(t, on)

	c.pause(t)
	// The admin lists the group staff on the flag: user 2 is in it.
	p.Run(t, "write", map[string]any{"flags": []map[string]any{{"name": "beta", "groups": []string{"staff"}}}}, nil)
	on, err = replica.FlagIsActive(u2, "beta")
	require.NoError(t, err)
	require.False(t, on, "the replica has not replayed Django's write yet")
	on, err = primary.FlagIsActive(u2, "beta")
	require.NoError(t, err)
	require.True(t, on, "a Store on the plain handle reads the primary")
	tx := c.db.Begin()
	require.NoError(t, tx.Error)
	defer tx.Rollback()
	on, err = replica.WithTx(tx).FlagIsActive(u2, "beta")
	require.NoError(t, err)
	require.True(t, on, "WithTx reads in the primary's transaction")
	require.NoError(t, tx.Rollback().Error)

	c.resume(t)
	on, err = replica.FlagIsActive(u2, "beta")
	require.NoError(t, err)
	require.True(t, on, "visible once replayed")
}

// Django-mode writes of every kind go to the primary while the replica
// replays nothing, from two Stores (one reading through the replica, one
// on the plain handle), and Django reads them back; the sync of windows
// Django wrote a moment ago runs on the primary.
func TestReplicaDjangoWritesAndSyncOnPrimary(t *testing.T) {
	c, p := djangoCluster(t)
	ctx := context.Background()
	p.Run(t, "write", map[string]any{"users": []map[string]any{{"id": "1"}, {"id": "2"}, {"id": "3"}}}, nil)
	replica := djangoStore(t, c, true)
	plain := djangoStore(t, c, false)
	require.NoError(t, replica.Migrate(ctx))
	c.pause(t)

	percent := 50.0
	for i, s := range []*waffle.Store{replica, plain} {
		name := []string{"from_replica_store", "from_plain_store"}[i]
		require.NoError(t, s.SaveFlag(ctx, &waffle.Flag{Name: name, Percent: &percent, Users: []string{"1"}, Groups: []string{"g"}}))
		require.NoError(t, s.SetSwitch(ctx, name, true))
		require.NoError(t, s.SetSample(ctx, name, 10.5))
		require.NoError(t, s.Set(ctx, name, "x"))
		require.NoError(t, s.AddGroupMembers(ctx, "g", "2"))
	}
	require.NoError(t, plain.SaveFlag(ctx, &waffle.Flag{Name: "new"}))
	today := time.Now().UTC().Format(time.DateOnly)
	p.Run(t, "write", map[string]any{"windows": []map[string]any{
		{"user": "1", "flag": "new", "start": today, "end": today},
		{"user": "3", "flag": "new", "start": today, "end": today},
	}}, nil)
	if time.Now().UTC().Format(time.DateOnly) != today {
		t.Skip("midnight UTC passed during the test")
	}
	res, err := replica.SyncMembership(ctx, "new")
	require.NoError(t, err)
	require.Len(t, res.Flags, 1)
	require.NoError(t, res.Flags[0].Err)
	require.Equal(t, 2, res.Flags[0].Added, "the windows Django wrote a moment ago, read on the primary")

	var n int
	require.NoError(t, c.primary.QueryRow("SELECT count(*) FROM waffle_switch").Scan(&n))
	require.Equal(t, 2, n, "on the primary")
	require.NoError(t, c.replica.QueryRow("SELECT count(*) FROM waffle_switch").Scan(&n))
	require.Zero(t, n, "not replayed on the replica yet")
	c.resume(t)
	require.NoError(t, c.replica.QueryRow("SELECT count(*) FROM waffle_switch").Scan(&n))
	require.Equal(t, 2, n)
	on, err := replica.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "3"}), "new")
	require.NoError(t, err)
	require.True(t, on, "the replica serves the synced group once replayed")

	var r djangoRead
	p.Run(t, "read", struct{}{}, &r)
	require.Len(t, r.Flags, 3)
	for _, f := range r.Flags {
		require.Empty(t, f.Error, f.Name)
		if f.Name != "new" {
			require.Equal(t, []string{"1"}, f.Users)
			require.Equal(t, []string{"g"}, f.Groups)
		}
	}
	require.Len(t, r.Switches, 2)
	require.Len(t, r.Samples, 2)
	for _, sw := range r.Switches {
		require.Empty(t, sw.Error)
		require.True(t, sw.Active)
	}
	require.Equal(t, []string{"2"}, r.group("g"))
	members := r.group(waffle.SyncGroupName("new"))
	sort.Strings(members)
	require.Equal(t, []string{"1", "3"}, members)
}

// Django mode's snapshot on a Store reading through the replica: it polls
// and loads on the replica, so an admin change is served once the replica
// replays it, not before.
func TestReplicaDjangoSnapshot(t *testing.T) {
	c, p := djangoCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Run(t, "write", map[string]any{
		"users": []map[string]any{{"id": "1"}},
		"flags": []map[string]any{{"name": "beta"}},
	}, nil)
	s, err := waffle.New(c.db.Clauses(dbresolver.Read), &waffle.Config{
		Django: &waffle.DjangoConfig{}, SnapshotPollInterval: 20 * time.Millisecond, SnapshotMaxAge: time.Hour,
	})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	c.caughtUp(t)
	require.NoError(t, s.StartSnapshot(ctx))
	u1 := waffle.WithUser(ctx, waffle.User{ID: "1"})

	c.pause(t)
	p.Run(t, "orm", map[string]any{"ops": []map[string]any{{"op": "flag_users_add", "flag": "beta", "users": []string{"1"}}}}, nil)
	time.Sleep(200 * time.Millisecond) // ten polls
	on, err := s.FlagIsActive(u1, "beta")
	require.NoError(t, err)
	require.False(t, on, "not replayed: the replica's fingerprint has not moved")
	require.EqualValues(t, 1, s.SnapshotStats().Reloads)

	c.resume(t)
	require.Eventually(t, func() bool {
		on, err := s.FlagIsActive(u1, "beta")
		require.NoError(t, err)
		return on && s.SnapshotStats().Serving
	}, 5*time.Second, 5*time.Millisecond, "served once replayed")
}
