package replicatest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// EnvReplicaDSN names a streaming standby of the server of
// testdb.EnvPostgresDSN (scripts/with-replica starts one).
const EnvReplicaDSN = "WAFFLE_TEST_REPLICA_DSN"

// cluster is one test's schema on the primary and its copy on the replica.
type cluster struct {
	pdb     *testdb.DB // the test's schema on the primary
	db      *gorm.DB   // the application's handle: primary, dbresolver registered
	primary *sql.DB    // direct connections, to watch replication
	replica *sql.DB
}

// newCluster gives the test a schema of its own on the primary and a
// *gorm.DB with dbresolver routing GORM's reads to the replica. The tests of
// this package do not run in parallel: some pause the replica's replay.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	replicaDSN := os.Getenv(EnvReplicaDSN)
	if replicaDSN == "" {
		msg := "replica tests need " + EnvReplicaDSN + ": run `make test`, or scripts/with-replica go test ./..."
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a missing replica is a failure)")
		}
		t.Skip(msg)
	}
	pdb := testdb.New(t, testdb.Postgres)
	u, err := url.Parse(pdb.DSN)
	require.NoError(t, err)
	schema := u.Query().Get("search_path")
	require.NotEmpty(t, schema)
	replicaDSN = testdb.WithParam(replicaDSN, "search_path", schema)

	db, err := gorm.Open(postgres.Open(pdb.DSN), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	require.NoError(t, err)
	require.NoError(t, db.Use(dbresolver.Register(dbresolver.Config{
		Replicas: []gorm.Dialector{postgres.Open(replicaDSN)},
	})))
	c := &cluster{pdb: pdb, db: db}
	c.primary, err = sql.Open("pgx", pdb.DSN)
	require.NoError(t, err)
	c.replica, err = sql.Open("pgx", replicaDSN)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = c.replica.Exec("SELECT pg_wal_replay_resume()")
		_ = c.primary.Close()
		_ = c.replica.Close()
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	var standby bool
	require.NoError(t, c.replica.QueryRow("SELECT pg_is_in_recovery()").Scan(&standby))
	require.True(t, standby, "%s is not a standby", EnvReplicaDSN)
	return c
}

// caughtUp waits until the replica has replayed everything the primary
// wrote so far: a write is visible on the replica after this lag.
func (c *cluster) caughtUp(t *testing.T) time.Duration {
	t.Helper()
	var target string
	require.NoError(t, c.primary.QueryRow("SELECT pg_current_wal_insert_lsn()::text").Scan(&target))
	start := time.Now()
	for {
		var done bool
		require.NoError(t, c.replica.QueryRow("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target).Scan(&done))
		if done {
			return time.Since(start)
		}
		require.Less(t, time.Since(start), 30*time.Second, "the replica did not catch up")
		time.Sleep(5 * time.Millisecond)
	}
}

// pause stops the replica's replay, so that a write on the primary stays
// invisible there until resume: reads that see it went to the primary.
func (c *cluster) pause(t *testing.T) {
	t.Helper()
	c.caughtUp(t)
	_, err := c.replica.Exec("SELECT pg_wal_replay_pause()")
	require.NoError(t, err)
}

func (c *cluster) resume(t *testing.T) {
	t.Helper()
	_, err := c.replica.Exec("SELECT pg_wal_replay_resume()")
	require.NoError(t, err)
	c.caughtUp(t)
}

// replicaStore is the setup the docs give: a Store on a handle whose reads
// dbresolver sends to a replica. Its writes go to the primary.
func (c *cluster) replicaStore(t *testing.T) *waffle.Store {
	t.Helper()
	s, err := waffle.New(c.db.Clauses(dbresolver.Read), nil)
	require.NoError(t, err)
	return s
}

// Reads through the replica see a write after the replication lag; reads
// in WithTx (a transaction begun on the primary handle) see it at once.
func TestReplicaReadsSeeWritesAfterLag(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	s := c.replicaStore(t)
	require.NoError(t, s.Migrate(ctx), "Migrate runs on the primary")
	require.NoError(t, s.SetSwitch(ctx, "before", true))
	c.caughtUp(t)
	on, err := s.SwitchIsActive(ctx, "before")
	require.NoError(t, err)
	require.True(t, on)

	c.pause(t)
	require.NoError(t, s.SetSwitch(ctx, "banner", true), "writes go to the primary")
	require.NoError(t, s.Set(ctx, "color", "blue"))

	on, err = s.SwitchIsActive(ctx, "banner")
	require.NoError(t, err)
	require.False(t, on, "the replica has not replayed the write yet: its read is stale")
	v, err := s.Get(ctx, "color")
	require.NoError(t, err)
	require.False(t, v.Found())

	tx := c.db.Begin()
	require.NoError(t, tx.Error)
	defer tx.Rollback()
	on, err = s.WithTx(tx).SwitchIsActive(ctx, "banner")
	require.NoError(t, err)
	require.True(t, on, "WithTx reads in the primary's transaction")
	require.NoError(t, tx.Rollback().Error)

	c.resume(t)
	on, err = s.SwitchIsActive(ctx, "banner")
	require.NoError(t, err)
	require.True(t, on, "visible once replayed")
	v, err = s.Get(ctx, "color")
	require.NoError(t, err)
	require.Equal(t, "blue", v.String())
}

// Every write goes to the primary while the replica replays nothing (a write
// sent to the standby would fail: it is read-only), and WithTx's writes
// commit with the application's transaction on the primary.
func TestReplicaWritesGoToPrimary(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	s := c.replicaStore(t)
	require.NoError(t, s.Migrate(ctx))
	c.pause(t)

	percent := 50.0
	require.NoError(t, s.SaveFlag(ctx, &waffle.Flag{Name: "beta", Percent: &percent, Users: []string{"u1"}}))
	require.NoError(t, s.SetSwitch(ctx, "sw", true))
	require.NoError(t, s.SetSample(ctx, "sa", 10))
	require.NoError(t, s.Set(ctx, "sf", 1))
	require.NoError(t, s.SetFromJSON(ctx, []byte(`{"a": "1", "b": true}`)))
	require.NoError(t, s.CreateGroup(ctx, "g"))
	require.NoError(t, s.AddGroupMembers(ctx, "g", "u2"))
	w, err := s.AddWindow(ctx, waffle.FlagMember{Flag: "beta", User: "u3"})
	require.NoError(t, err)
	require.NoError(t, s.DeleteWindow(ctx, w.ID))
	require.NoError(t, s.DeleteSwitch(ctx, "sw"))

	tx := c.db.Begin()
	require.NoError(t, tx.Error)
	require.NoError(t, s.WithTx(tx).Set(ctx, "in-tx", "x"))
	require.NoError(t, tx.Commit().Error)

	var n int
	require.NoError(t, c.primary.QueryRow(
		"SELECT count(*) FROM waffle_string_flag WHERE name IN ('sf', 'a', 'b', 'in-tx')").Scan(&n))
	require.Equal(t, 4, n, "on the primary")
	require.NoError(t, c.replica.QueryRow("SELECT count(*) FROM waffle_string_flag").Scan(&n))
	require.Zero(t, n, "not replayed on the replica yet")
	c.resume(t)
	require.NoError(t, c.replica.QueryRow("SELECT count(*) FROM waffle_string_flag").Scan(&n))
	require.Equal(t, 4, n)
}

// SyncMembership never runs on the replica: it reads the flags to sync and
// their windows on the primary, so a flag and windows written a moment ago
// (not replayed yet) are synced.
func TestReplicaSyncRunsOnPrimary(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	s := c.replicaStore(t)
	require.NoError(t, s.Migrate(ctx))
	c.pause(t)

	require.NoError(t, s.SaveFlag(ctx, &waffle.Flag{Name: "new"}))
	for _, u := range []string{"u1", "u2", "u3"} {
		_, err := s.AddWindow(ctx, waffle.FlagMember{Flag: "new", User: u, Start: time.Now().Add(-time.Minute)})
		require.NoError(t, err)
	}
	res, err := s.SyncMembership(ctx)
	require.NoError(t, err)
	require.Len(t, res.Flags, 1)
	require.NoError(t, res.Flags[0].Err)
	require.Equal(t, "new", res.Flags[0].Flag)
	require.Equal(t, 3, res.Flags[0].Added)

	tx := c.db.Begin()
	require.NoError(t, tx.Error)
	defer tx.Rollback()
	members, err := s.WithTx(tx).GroupMembers(ctx, waffle.SyncGroupName("new"))
	require.NoError(t, err)
	sort.Strings(members)
	require.Equal(t, []string{"u1", "u2", "u3"}, members)
	require.NoError(t, tx.Rollback().Error)

	c.resume(t)
	on, err := s.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "u2"}), "new")
	require.NoError(t, err)
	require.True(t, on, "the replica serves the synced group once replayed")
}

// dbresolver routes GORM's own statements; the library sends its statements
// on the handle's pool, so a Store on the plain handle reads and writes on
// the primary: a write is visible at once, even with the replica stopped.
func TestReplicaPlainHandleUsesPrimary(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	s, err := waffle.New(c.db, nil)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	c.pause(t)
	require.NoError(t, s.SetSwitch(ctx, "now", true))
	on, err := s.SwitchIsActive(ctx, "now")
	require.NoError(t, err)
	require.True(t, on)

	// GORM's own reads on the same handle do go to the replica.
	var n int64
	require.NoError(t, c.db.Table("waffle_switch").Where("name = ?", "now").Count(&n).Error)
	require.Zero(t, n, "dbresolver sent GORM's read to the paused replica")
	c.resume(t)
}
