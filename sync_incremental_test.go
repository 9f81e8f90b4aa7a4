package waffle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowaffle/waffle/internal/testdb"
	"github.com/stretchr/testify/require"
)

// expectedMembers computes, in Go, the users with a window of flag active at
// at: what the flag's group must hold after a sync at at.
func expectedMembers(t *testing.T, s *Store, flag string, at time.Time) []string {
	t.Helper()
	windows, err := s.ListWindows(context.Background(), WindowFilter{Flag: flag})
	require.NoError(t, err)
	var users []string
	for _, w := range windows {
		if w.ActiveAt(at) && !slices.Contains(users, w.User) {
			users = append(users, w.User)
		}
	}
	slices.Sort(users)
	return users
}

// TestSyncUserMembershipshipIncrementalMatchesFull moves the clock back and forth
// over windows whose bounds fall on the same few instants, and checks after
// every sync that the group holds exactly the users active by FlagMember's
// own rule. Between edits the syncs are incremental (Full is false); after
// an edit of the windows or of the group, the next one is full.
func TestSyncUserMembershipshipIncrementalMatchesFull(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		rng := rand.New(rand.NewPCG(4, 2))
		minute := func(n int) time.Time { return windowT0.Add(time.Duration(n) * time.Minute) }
		addRandom := func(user string) FlagMember {
			start := rng.IntN(20)
			var end *time.Time
			if rng.IntN(4) > 0 {
				end = endAt(minute(start + 1 + rng.IntN(10)))
			}
			return addWindow(t, s, "beta", user, minute(start), end)
		}
		var windows []FlagMember
		for i := range 40 {
			windows = append(windows, addRandom(fmt.Sprintf("u%02d", i%25))) // some users twice
		}

		full, incremental := 0, 0
		edited := true // the windows were just written: the first sync is full
		for step := range 120 {
			at := minute(rng.IntN(24) - 2)
			if rng.IntN(3) == 0 {
				at = at.Add(time.Duration(rng.IntN(60)) * time.Second) // between the bounds, too
			}
			clock.Set(at)
			fs := syncOne(t, s, "beta")
			want := expectedMembers(t, s, "beta", dbTime(at))
			require.Equal(t, want, groupMembers(t, s, "beta"), "step %d at %v", step, at)
			require.Equal(t, len(want), fs.Active, "step %d", step)
			require.Equal(t, edited, fs.Full, "step %d", step)
			if fs.Full {
				full++
			} else {
				incremental++
			}
			edited = false

			switch rng.IntN(10) { // now and then, an edit
			case 0:
				windows = append(windows, addRandom(fmt.Sprintf("u%02d", rng.IntN(30))))
				edited = true
			case 1:
				i := rng.IntN(len(windows))
				w := windows[i]
				w.Start = minute(rng.IntN(20))
				w.End = endAt(w.Start.Add(time.Duration(1+rng.IntN(10)) * time.Minute))
				updated, err := s.UpdateWindow(ctx, w)
				require.NoError(t, err)
				windows[i] = updated
				edited = true
			case 2:
				i := rng.IntN(len(windows))
				require.NoError(t, s.DeleteWindow(ctx, windows[i].ID))
				windows = slices.Delete(windows, i, i+1)
				edited = true
			case 3: // another tool's SQL adds someone to the group
				require.NoError(t, s.db.Exec(`INSERT INTO waffle_group_member (group_id, user_id)
					SELECT id, 'intruder' FROM waffle_group WHERE name = ?`, SyncGroupName("beta")).Error)
				edited = true
			}
		}
		t.Logf("%d full syncs, %d incremental", full, incremental)
		require.Greater(t, incremental, 60, "most syncs are incremental")
	})
}

// rowVersions identifies the versions of the rows a sync may write, so that
// a test can tell that none was written: on PostgreSQL their xmin (the
// transaction that wrote each version; taking a row lock leaves it), on
// SQLite their values (SQLite keeps no versions).
func rowVersions(t *testing.T, s *Store) string {
	t.Helper()
	col := "''"
	if s.Dialect() == "postgres" {
		col = "xmin::text"
	}
	var out string
	for _, q := range []string{
		"SELECT " + col + " || ':' || flag_id || ':' || coalesce(group_id, 0) || ':' || members FROM waffle_flag_sync ORDER BY flag_id",
		"SELECT " + col + " || ':' || group_id || ':' || user_id FROM " + memberRows(s) + " ORDER BY group_id, user_id",
		"SELECT " + col + " || ':' || flag_id || ':' || group_id FROM waffle_flag_group ORDER BY flag_id, group_id",
		"SELECT " + col + " || ':' || id || ':' || name FROM waffle_group ORDER BY id",
	} {
		var rows []string
		require.NoError(t, s.db.Raw(q).Scan(&rows).Error)
		out += fmt.Sprint(rows) + "\n"
	}
	var at []time.Time
	require.NoError(t, s.db.Raw("SELECT synced_at FROM waffle_flag_sync ORDER BY flag_id").Scan(&at).Error)
	return out + fmt.Sprint(at)
}

// TestSyncUserMembershipshipStateFollowsWrites checks that every way of writing a
// flag's windows or its group's members, through the library or by SQL,
// makes the next sync compare in full, and that a sync that changed nothing
// writes nothing.
func TestSyncUserMembershipshipStateFollowsWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		createFlag(t, s, "other")
		ann := addWindow(t, s, "beta", "ann", windowT0.Add(-time.Hour), nil)
		addWindow(t, s, "other", "zed", windowT0.Add(-time.Hour), nil)
		_, err := s.SyncMembership(ctx)
		require.NoError(t, err)

		group := SyncGroupName("beta")
		writes := []struct {
			name    string
			write   func()
			members []string
		}{
			{"SQLInsertWindow", func() {
				require.NoError(t, s.db.Exec(`INSERT INTO waffle_flag_member (flag_id, user_id, start_at, created)
					SELECT id, 'bob', ?, ? FROM waffle_flag WHERE name = 'beta'`, s.now().Add(-time.Hour), s.now()).Error)
			}, []string{"ann", "bob"}},
			{"SQLUpdateWindow", func() {
				require.NoError(t, s.db.Exec(`UPDATE waffle_flag_member SET start_at = ? WHERE user_id = 'bob'`,
					s.now().Add(time.Hour)).Error)
			}, []string{"ann"}},
			{"SQLDeleteWindow", func() {
				require.NoError(t, s.db.Exec(`DELETE FROM waffle_flag_member WHERE id = ?`, ann.ID).Error)
			}, nil},
			{"AddWindow", func() { addWindow(t, s, "beta", "cat", windowT0.Add(-time.Minute), nil) }, []string{"cat"}},
			{"SQLDeleteMember", func() {
				require.NoError(t, s.db.Exec(`DELETE FROM `+syncMemberTable(s)+` WHERE user_id = 'cat'`).Error)
			}, []string{"cat"}},
			{"SQLUpdateMember", func() {
				require.NoError(t, s.db.Exec(`UPDATE `+syncMemberTable(s)+` SET user_id = 'dan' WHERE user_id = 'cat'`).Error)
			}, []string{"cat"}},
			{"SQLInsertMember", func() {
				require.NoError(t, s.db.Exec(`INSERT INTO waffle_group_member (group_id, user_id)
					SELECT id, 'eve' FROM waffle_group WHERE name = ?`, group).Error)
			}, []string{"cat"}},
			{"SQLDeleteGroup", func() {
				require.NoError(t, s.db.Exec(`DELETE FROM waffle_group WHERE name = ?`, group).Error)
			}, []string{"cat"}},
		}
		for _, w := range writes {
			w.write()
			fs := syncOne(t, s, "beta")
			require.True(t, fs.Full, w.name)
			require.Equal(t, w.members, groupMembers(t, s, "beta"), w.name)
			require.Equal(t, len(w.members), fs.Active, w.name)

			// Then nothing changed: incremental, and nothing written.
			versions := rowVersions(t, s)
			counting, counter := h.countingStore(t, &Config{Now: clock.Now})
			counter.Reset()
			fs = syncOne(t, counting, "beta")
			require.Equal(t, FlagSync{Flag: "beta", Active: len(w.members)}, fs, w.name)
			require.Equal(t, w.members, groupMembers(t, s, "beta"), w.name)
			for _, q := range counter.Statements() {
				require.NotContains(t, q, "UPDATE waffle_flag_sync", w.name+": the state is not saved")
			}
			require.Equal(t, versions, rowVersions(t, s), w.name+": a sync with nothing to do writes no row")
		}
		// The other flag's state was never touched.
		fs := syncOne(t, s, "other")
		require.Equal(t, FlagSync{Flag: "other", Active: 1}, fs)
	})
}

// TestSyncUserMembershipshipConcurrentWindowWrites writes windows that started in
// the past (which an incremental sync would not look at) while replicas
// sync: a write that a sync did not see must leave the flag's state dirty,
// so that the last sync finds every user.
func TestSyncUserMembershipshipConcurrentWindowWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		clock := newWindowClock(windowT0)
		setup := h.store(t, &Config{Now: clock.Now})
		createFlag(t, setup, "beta")
		addWindow(t, setup, "beta", "first", windowT0.Add(-time.Hour), nil)
		const writers, perWriter, syncers = 3, 15, 4
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errs := make(chan error, writers+syncers)
		for i := range syncers {
			s := h.store(t, &Config{Now: clock.Now})
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := s.SyncMembership(ctx, "beta"); err != nil {
						errs <- fmt.Errorf("syncer %d: %w", i, err)
						return
					}
				}
			})
		}
		var writersWG sync.WaitGroup
		for i := range writers {
			s := h.store(t, &Config{Now: clock.Now})
			writersWG.Go(func() {
				for j := range perWriter {
					m := FlagMember{Flag: "beta", User: fmt.Sprintf("w%d-%02d", i, j), Start: windowT0.Add(-time.Hour)}
					if _, err := s.AddWindow(ctx, m); err != nil {
						errs <- fmt.Errorf("writer %d: %w", i, err)
						return
					}
				}
			})
		}
		writersWG.Wait()
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		syncOne(t, setup, "beta")
		require.Len(t, groupMembers(t, setup, "beta"), 1+writers*perWriter)
		require.Equal(t, expectedMembers(t, setup, "beta", dbTime(windowT0)), groupMembers(t, setup, "beta"))
	})
}

// TestSyncUserMembershipshipLocksItsState forces the interleaving that the lock on a
// flag's sync state is for, on PostgreSQL (SQLite's single writer rules it
// out): a window added while a sync runs (just before the sync's first
// write to the group, whose own trigger would lock the state too), starting
// before the last sync's instant, so that the sync does not see it and an
// incremental sync would never look at it. The window's statement must wait
// for the sync to commit and then mark the state dirty; were it not to wait,
// the sync would mark its state clean over that mark and the user would stay
// out of the group.
func TestSyncUserMembershipshipLocksItsState(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		if h.db.Kind != testdb.Postgres {
			t.Skip("SQLite runs one write transaction at a time")
		}
		ctx := context.Background()
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0.Add(-time.Hour), nil)
		addWindow(t, s, "beta", "bob", windowT0.Add(-time.Hour), endAt(windowT0.Add(time.Hour)))
		syncOne(t, s, "beta")
		clock.Set(windowT0.Add(2 * time.Hour)) // bob's window ends: the next sync saves its state

		writer := h.store(t, &Config{Now: clock.Now})
		done := make(chan error, 1)
		hooked := h.hookStore(t, &Config{Now: clock.Now}, func(q string) {
			if !strings.Contains(q, "DELETE FROM "+syncMemberTable(s)) || len(done) > 0 {
				return
			}
			go func() {
				_, err := writer.AddWindow(ctx, FlagMember{Flag: "beta", User: "late", Start: windowT0})
				done <- err
			}()
			waitBlockedOrDone(t, s, done)
		})
		fs := syncOne(t, hooked, "beta")
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Removed: 1}, fs)
		require.NoError(t, <-done)

		fs = syncOne(t, s, "beta")
		require.True(t, fs.Full, "the window written during the sync marked the state")
		require.Equal(t, []string{"ann", "late"}, groupMembers(t, s, "beta"))
	})
}

// waitBlockedOrDone waits until a backend of the test's database waits for
// a lock, or done has a value (the statement did not wait), for up to 10 s.
func waitBlockedOrDone(t *testing.T, s *Store, done chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(done) > 0 {
			return
		}
		var n int64
		require.NoError(t, s.db.Raw(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n).Error)
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the concurrent statement neither finished nor waited for a lock")
}

// TestSyncUserMembershipshipNewGroupStartsEmpty plants a member row for the ID the
// flag's group is about to get. PostgreSQL refuses it (migration 3's
// trigger checks what the foreign key it replaces did), and so does SQLite
// with foreign_keys=on; a SQLite connection without it stores the row, and
// the sync then clears the group it creates: the group holds exactly the
// users the sync adds, counted right.
func TestSyncUserMembershipshipNewGroupStartsEmpty(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0.Add(-time.Hour), nil)
		next := "SELECT coalesce(max(id), 0) + 1 FROM waffle_group"
		if s.Dialect() == "postgres" {
			next = "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM waffle_group_id_seq"
		}
		stray := "INSERT INTO waffle_group_member (group_id, user_id) SELECT (" + next + "), 'stray'"
		err := s.db.Exec(stray).Error
		require.Error(t, err, "a member of a group that does not exist")
		if s.Dialect() == "postgres" {
			var pgErr interface{ SQLState() string }
			require.ErrorAs(t, err, &pgErr)
			require.Equal(t, "23503", pgErr.SQLState(), "foreign_key_violation")
		} else {
			db, err := s.db.DB()
			require.NoError(t, err)
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			// Stray rows in both member tables (migration 4).
			strayed := strings.Replace(stray, "waffle_group_member", "waffle_sync_member", 1)
			for _, q := range []string{"PRAGMA foreign_keys = OFF", stray, strayed, "PRAGMA foreign_keys = ON"} {
				_, err := conn.ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
			require.NoError(t, conn.Close())
		}
		fs := syncOne(t, s, "beta")
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Added: 1, Full: true}, fs)
		require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"))
	})
}

// TestGroupDeletedWhileMembersWritten forces, on PostgreSQL, the
// interleaving that the foreign key from members to groups used to settle:
// a group deleted while another transaction adds a member to it by SQL.
// The delete must wait for that transaction (migration 3's trigger locks the
// group FOR KEY SHARE), then delete the member too: no member is left
// without its group.
func TestGroupDeletedWhileMembersWritten(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		if h.db.Kind != testdb.Postgres {
			t.Skip("SQLite runs one write transaction at a time")
		}
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.AddGroupMembers(ctx, "testers", "ann"))
		db, err := s.db.DB()
		require.NoError(t, err)
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = tx.Rollback() })
		_, err = tx.ExecContext(ctx, `INSERT INTO waffle_group_member (group_id, user_id)
			SELECT id, 'bob' FROM waffle_group WHERE name = 'testers'`)
		require.NoError(t, err)

		done := make(chan error, 1)
		go func() { done <- s.DeleteGroup(ctx, "testers") }()
		waitBlockedOrDone(t, s, done)
		require.Empty(t, done, "the delete waits for the transaction that adds a member")
		require.NoError(t, tx.Commit())
		require.NoError(t, <-done)
		require.Zero(t, tableRows(t, s, "waffle_group_member"), "no member is left without its group")
	})
}

// TestUserGroupsAfterSync checks that the groups the sync fills are listed
// among a user's groups like any other (on PostgreSQL they are found by
// another path than the groups filled by hand: migration 3).
func TestUserGroupsAfterSync(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0.Add(-time.Hour), nil)
		require.NoError(t, s.AddGroupMembers(ctx, "staff", "ann"))
		require.NoError(t, s.AddGroupMembers(ctx, "WAFFLE", "ann")) // not a sync's group: no underscore
		syncOne(t, s, "beta")
		groups, err := s.UserGroups(ctx, "ann")
		require.NoError(t, err)
		require.Equal(t, []string{"WAFFLE", "WAFFLE_beta", "staff"}, groups)
		on, err := s.FlagIsActive(WithUser(ctx, User{ID: "ann"}), "beta")
		require.NoError(t, err)
		require.True(t, on)

		// The sync's members stay out of the lookup by user that serves the
		// groups filled by hand (migration 3), which would cost every member
		// the sync adds an entry there; on SQLite they are in a table of their
		// own (migration 4).
		var outside []string
		q := `SELECT g.name FROM waffle_group_member m JOIN waffle_group g ON g.id = m.group_id
			WHERE m.synced ORDER BY 1`
		if s.Dialect() == "sqlite" {
			q = `SELECT g.name FROM waffle_group_member_all m JOIN waffle_group g ON g.id = m.group_id
				WHERE NOT EXISTS (SELECT 1 FROM waffle_group_member_by_user b
					WHERE b.user_id = m.user_id AND b.group_id = m.group_id) ORDER BY 1`
			var synced []string
			require.NoError(t, s.db.Raw(`SELECT g.name FROM waffle_sync_member m
				JOIN waffle_group g ON g.id = m.group_id ORDER BY 1`).Scan(&synced).Error)
			require.Equal(t, []string{"WAFFLE_beta"}, synced, "only the sync's group has rows in waffle_sync_member")
		}
		require.NoError(t, s.db.Raw(q).Scan(&outside).Error)
		require.Equal(t, []string{"WAFFLE_beta"}, outside)
	})
}

// TestMembershipBySQL writes members of a group listed on a flag with SQL,
// as another tool would, and checks that evaluation follows: the lookup by
// user that migration 3 keeps (PostgreSQL: a partial index; SQLite: a table
// kept by triggers) must see inserts, updates and deletes, and forget the
// members of a deleted group.
func TestMembershipBySQL(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Groups: []string{"testers"}}))
		exec := func(q string) {
			t.Helper()
			require.NoError(t, s.db.Exec(q).Error, q)
		}
		isOn := func(user string) bool {
			t.Helper()
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: user}), "beta")
			require.NoError(t, err)
			return on
		}
		exec("INSERT INTO waffle_group_member (group_id, user_id) SELECT id, 'ann' FROM waffle_group WHERE name = 'testers'")
		require.True(t, isOn("ann"))
		exec("UPDATE waffle_group_member SET user_id = 'bob' WHERE user_id = 'ann'")
		require.False(t, isOn("ann"))
		require.True(t, isOn("bob"))
		groups, err := s.UserGroups(ctx, "bob")
		require.NoError(t, err)
		require.Equal(t, []string{"testers"}, groups)
		exec("DELETE FROM waffle_group_member WHERE user_id = 'bob'")
		require.False(t, isOn("bob"))

		exec("INSERT INTO waffle_group_member (group_id, user_id) SELECT id, 'cat' FROM waffle_group WHERE name = 'testers'")
		require.True(t, isOn("cat"))
		exec("DELETE FROM waffle_group WHERE name = 'testers'")
		require.False(t, isOn("cat"))
		require.Zero(t, tableRows(t, s, "waffle_group_member"))
		if s.Dialect() == "sqlite" {
			require.Zero(t, tableRows(t, s, "waffle_group_member_by_user"), "the triggers forgot the deleted group's members")
		}
	})
}

// TestSyncUserMembershipshipStatements pins the number of statements of one flag's
// sync, BEGIN and COMMIT included, since each is a round trip on
// PostgreSQL: the fixed cost of a flag, which the naive-sync benchmark
// weighs against the per-member cost.
func TestSyncUserMembershipshipStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0.Add(-time.Hour), nil)
		counting, counter := h.countingStore(t, &Config{Now: clock.Now})
		sent := func(want FlagSync) []string {
			t.Helper()
			counter.Reset()
			require.Equal(t, want, syncOne(t, counting, "beta"))
			return counter.Statements()
		}
		// A first sync: the lock, then the group created (and cleared on
		// SQLite), the state (PostgreSQL: the group attached in the same
		// statement), the members, the state saved, the audit entry.
		first := map[string]int{"postgres": 8, "sqlite": 10}[s.Dialect()]
		require.Len(t, sent(FlagSync{Flag: "beta", Active: 1, Added: 1, Full: true}), first)
		// Nothing changed: the lock, the state, the two incremental
		// statements.
		require.Len(t, sent(FlagSync{Flag: "beta", Active: 1}), 6)
		// A window written: compared in full, and the entry.
		addWindow(t, s, "beta", "bob", windowT0.Add(-time.Hour), nil)
		require.Len(t, sent(FlagSync{Flag: "beta", Active: 2, Added: 1, Full: true}), 8)
	})
}
