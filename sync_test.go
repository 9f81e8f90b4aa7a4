package waffle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// syncOne syncs flag and returns its entry, requiring success.
func syncOne(t *testing.T, s *Store, flag string) FlagSync {
	t.Helper()
	res, err := s.SyncMembership(context.Background(), flag)
	require.NoError(t, err)
	require.Len(t, res.Flags, 1)
	require.Equal(t, flag, res.Flags[0].Flag)
	return res.Flags[0]
}

func TestSyncMembershipWindowBounds(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		start, end := windowT0, windowT0.Add(time.Hour)
		addWindow(t, s, "beta", "ann", start, &end)

		steps := []struct {
			name           string
			at             time.Time
			members        []string
			added, removed int
		}{
			{"BeforeStart", start.Add(-time.Microsecond), nil, 0, 0},
			{"AtStart", start, []string{"ann"}, 1, 0},
			{"JustBeforeEnd", end.Add(-time.Microsecond), []string{"ann"}, 0, 0},
			{"AtEnd", end, nil, 0, 1},
			{"BackInside", end.Add(-time.Minute), []string{"ann"}, 1, 0},
		}
		for _, st := range steps {
			clock.Set(st.at)
			fs := syncOne(t, s, "beta")
			require.Equal(t, st.added, fs.Added, st.name)
			require.Equal(t, st.removed, fs.Removed, st.name)
			require.Equal(t, len(st.members), fs.Active, st.name)
			require.Equal(t, st.members, groupMembers(t, s, "beta"), st.name)
			require.True(t, groupAttached(t, s, "beta"), st.name+": the group is attached even when empty")
		}
	})
}

func TestSyncMembershipOpenEnded(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0, nil)
		clock.Set(windowT0.Add(-time.Second))
		require.Equal(t, 0, syncOne(t, s, "beta").Active)
		for _, later := range []time.Duration{0, time.Hour, 50 * 365 * 24 * time.Hour} {
			clock.Set(windowT0.Add(later))
			require.Equal(t, 1, syncOne(t, s, "beta").Active, later)
			require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"))
		}
	})
}

func TestSyncMembershipOverlappingWindows(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		h1, h2 := time.Hour, 2*time.Hour
		addWindow(t, s, "beta", "ann", windowT0.Add(-h1), endAt(windowT0.Add(h1)))
		addWindow(t, s, "beta", "ann", windowT0, endAt(windowT0.Add(h2)))
		addWindow(t, s, "beta", "ann", windowT0.Add(-h2), nil)
		addWindow(t, s, "beta", "ann", windowT0.Add(-3*h1), endAt(windowT0.Add(-h2))) // expired
		addWindow(t, s, "beta", "bob", windowT0.Add(-h1), endAt(windowT0.Add(h1/2)))

		fs := syncOne(t, s, "beta")
		require.Equal(t, 2, fs.Active, "distinct users, not windows")
		require.Equal(t, 2, fs.Added)
		require.Equal(t, []string{"ann", "bob"}, groupMembers(t, s, "beta"))

		clock.Set(windowT0.Add(90 * time.Minute)) // bob's window ended; ann still has two
		fs = syncOne(t, s, "beta")
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Added: 0, Removed: 1}, fs)
		require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"))
	})
}

func TestSyncMembershipRemovesHandAddedMembers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, _ := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0, nil)
		syncOne(t, s, "beta")
		// The group API refuses WAFFLE_ groups, so another tool's SQL adds
		// mallory.
		require.ErrorIs(t, s.AddGroupMembers(context.Background(), SyncGroupName("beta"), "mallory"), ErrInvalidName)
		// It adds bob too, who has a window since the last sync: he stays, and
		// counts as neither added nor removed. (On SQLite the members written
		// by hand are kept apart from the sync's until its next full
		// comparison, schema version 1.)
		addWindow(t, s, "beta", "bob", windowT0, nil)
		for _, user := range []string{"mallory", "bob"} {
			require.NoError(t, s.db.Exec(`INSERT INTO waffle_group_member (group_id, user_id)
				SELECT id, ? FROM waffle_group WHERE name = ?`, user, SyncGroupName("beta")).Error)
		}
		require.Equal(t, []string{"ann", "bob", "mallory"}, groupMembers(t, s, "beta"))
		ctx := context.Background()
		isOn := func(user string) bool {
			t.Helper()
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: user}), "beta")
			require.NoError(t, err)
			return on
		}
		require.True(t, isOn("mallory"), "a member until the sync")
		listed, err := s.GroupMembers(ctx, SyncGroupName("beta"))
		require.NoError(t, err)
		require.Equal(t, []string{"ann", "bob", "mallory"}, listed)
		fs := syncOne(t, s, "beta")
		// The write marked the flag's sync state: compared in full.
		require.Equal(t, FlagSync{Flag: "beta", Active: 2, Removed: 1, Full: true}, fs)
		require.Equal(t, []string{"ann", "bob"}, groupMembers(t, s, "beta"))
		require.False(t, isOn("mallory"))
		require.True(t, isOn("bob"))
		require.Equal(t, FlagSync{Flag: "beta", Active: 2}, syncOne(t, s, "beta"))
	})
}

func TestSyncMembershipIdempotent(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, _ := clockStore(t, h)
		for _, f := range []string{"a", "b"} {
			createFlag(t, s, f)
			for i := range 30 {
				end := windowT0.Add(time.Duration(i%3-1) * time.Hour) // a third expired
				addWindow(t, s, f, fmt.Sprintf("u%02d", i), windowT0.Add(-2*time.Hour), &end)
				addWindow(t, s, f, fmt.Sprintf("u%02d", i%5), windowT0.Add(-time.Hour), nil) // duplicates
			}
		}
		first, err := s.SyncMembership(context.Background())
		require.NoError(t, err)
		active, added, removed := first.Totals()
		// Per flag: u00..u04 (open windows) and the ten users with i%3 == 2,
		// u02 among both: 14 distinct users.
		require.Equal(t, 2*14, active)
		require.Equal(t, active, added)
		require.Zero(t, removed)
		groups := tableRows(t, s, "waffle_group")
		links := tableRows(t, s, "waffle_flag_group")

		for range 2 {
			again, err := s.SyncMembership(context.Background())
			require.NoError(t, err)
			a, ad, rm := again.Totals()
			require.Equal(t, active, a)
			require.Zero(t, ad, "nothing changed: nothing added")
			require.Zero(t, rm, "nothing changed: nothing removed")
		}
		require.Equal(t, groups, tableRows(t, s, "waffle_group"), "no duplicate groups")
		require.Equal(t, links, tableRows(t, s, "waffle_flag_group"), "no duplicate links")
		require.Equal(t, int64(active), tableRows(t, s, memberRows(s)))
	})
}

func TestSyncMembershipCancelledMidway(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0, nil)
		bob := addWindow(t, s, "beta", "bob", windowT0, nil)
		syncOne(t, s, "beta")
		require.Equal(t, []string{"ann", "bob"}, groupMembers(t, s, "beta"))

		// bob leaves, cat joins; the sync is cancelled after it removed bob
		// and before it adds cat.
		require.NoError(t, s.DeleteWindow(context.Background(), bob.ID))
		addWindow(t, s, "beta", "cat", windowT0, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var sawRemove, sawAdd bool
		hs := h.hookStore(t, &Config{Now: clock.Now}, func(q string) {
			switch {
			case strings.Contains(q, "DELETE FROM "+syncMemberTable(s)):
				sawRemove = true
			case strings.Contains(q, "INSERT INTO "+syncMemberTable(s)) && sawRemove:
				sawAdd = true
				cancel()
			}
		})
		res, err := hs.SyncMembership(ctx, "beta")
		require.True(t, sawRemove && sawAdd, "the hook saw the statements")
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, res.Flags[0].Err, context.Canceled)
		require.Contains(t, err.Error(), `syncing flag "beta"`)
		require.Equal(t, []string{"ann", "bob"}, groupMembers(t, s, "beta"), "the previous membership is intact")

		fs := syncOne(t, s, "beta")
		require.Equal(t, FlagSync{Flag: "beta", Active: 2, Added: 1, Removed: 1, Full: true}, fs)
		require.Equal(t, []string{"ann", "cat"}, groupMembers(t, s, "beta"))

		// Cancelled before it starts: nothing runs, every flag says why.
		res, err = s.SyncMembership(cancelled(), "beta", "other")
		require.ErrorIs(t, err, context.Canceled)
		require.Len(t, res.Flags, 2)
		for _, f := range res.Flags {
			require.ErrorIs(t, f.Err, context.Canceled)
		}
	})
}

// poison makes every insert of user "poison" into a group fail, so that one
// flag's sync fails at the database in the middle of its transaction.
func poison(t *testing.T, h *harness, s *Store) {
	t.Helper()
	if h.db.Kind == testdb.Postgres {
		require.NoError(t, s.db.Exec(`CREATE FUNCTION waffle_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF;
				RETURN NEW;
			END $$`).Error)
		require.NoError(t, s.db.Exec(`CREATE TRIGGER waffle_test_poison BEFORE INSERT ON waffle_group_member
			FOR EACH ROW EXECUTE FUNCTION waffle_test_poison()`).Error)
		return
	}
	require.NoError(t, s.db.Exec(`CREATE TRIGGER waffle_test_poison BEFORE INSERT ON waffle_sync_member
		WHEN NEW.user_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`).Error)
}

func TestSyncMembershipErrorIsolation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		for _, f := range []string{"a", "b", "c"} {
			createFlag(t, s, f)
			addWindow(t, s, f, "x", windowT0, nil)
		}
		addWindow(t, s, "b", "old", windowT0, endAt(windowT0.Add(time.Hour)))
		_, err := s.SyncMembership(context.Background())
		require.NoError(t, err)
		require.Equal(t, []string{"old", "x"}, groupMembers(t, s, "b"))

		poison(t, h, s)
		addWindow(t, s, "b", "poison", windowT0, nil)
		addWindow(t, s, "a", "y", windowT0, nil)
		addWindow(t, s, "c", "z", windowT0, nil)
		clock.Set(windowT0.Add(2 * time.Hour)) // old leaves b

		res, err := s.SyncMembership(context.Background(), "a", "b", "missing", "_bad", "c")
		require.Error(t, err)
		require.Len(t, res.Flags, 5)
		byName := map[string]FlagSync{}
		for _, f := range res.Flags {
			byName[f.Flag] = f
		}
		require.Equal(t, FlagSync{Flag: "a", Active: 2, Added: 1, Full: true}, byName["a"])
		require.Equal(t, FlagSync{Flag: "c", Active: 2, Added: 1, Full: true}, byName["c"])
		require.ErrorContains(t, byName["b"].Err, "poisoned")
		require.ErrorContains(t, byName["b"].Err, `syncing flag "b"`)
		require.Zero(t, byName["b"].Active+byName["b"].Added+byName["b"].Removed, "a failed flag reports no counts")
		require.Equal(t, []string{"old", "x"}, groupMembers(t, s, "b"), "b's transaction rolled back: old was not removed")

		var nf *NotFoundError
		require.ErrorAs(t, byName["missing"].Err, &nf)
		require.Equal(t, &NotFoundError{Kind: "flag", Name: "missing"}, nf)
		require.ErrorIs(t, byName["_bad"].Err, ErrInvalidName)

		// The returned error joins them all.
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "missing", nf.Name)
		require.ErrorIs(t, err, ErrInvalidName)
		require.ErrorContains(t, err, "poisoned")
		require.Equal(t, res.Err().Error(), err.Error())
		require.Nil(t, groupMembers(t, s, "missing"), "no group for a missing flag")

		// Only the missing flag: a typed error, nothing else.
		res, err = s.SyncMembership(context.Background(), "missing")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "flag", nf.Kind)
		require.Len(t, res.Flags, 1)
	})
}

func TestSyncMembershipEveryFlag(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		createFlag(t, s, "with-windows")
		createFlag(t, s, "without")
		createFlag(t, s, "emptied")
		addWindow(t, s, "with-windows", "ann", windowT0, nil)
		gone := addWindow(t, s, "emptied", "bob", windowT0, nil)

		res, err := s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []FlagSync{
			{Flag: "emptied", Active: 1, Added: 1, Full: true},
			{Flag: "with-windows", Active: 1, Added: 1, Full: true},
		}, res.Flags, "flags with windows, by name")
		require.Equal(t, dbTime(windowT0), res.At)
		require.False(t, groupAttached(t, s, "without"), "a flag without windows gets no group")
		require.Nil(t, groupMembers(t, s, "without"))

		// All of a flag's windows deleted: its attached group still syncs.
		require.NoError(t, s.DeleteWindow(ctx, gone.ID))
		res, err = s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []FlagSync{
			{Flag: "emptied", Active: 0, Removed: 1, Full: true}, // a window deleted
			{Flag: "with-windows", Active: 1},                    // nothing written since
		}, res.Flags)
		require.Nil(t, groupMembers(t, s, "emptied"))

		// Named twice: synced once.
		res, err = s.SyncMembership(ctx, "with-windows", "with-windows")
		require.NoError(t, err)
		require.Len(t, res.Flags, 1)

		// Nothing to sync.
		empty := h.store(t, nil)
		require.NoError(t, empty.db.Exec("DELETE FROM waffle_flag").Error)
		res, err = empty.SyncMembership(ctx)
		require.NoError(t, err)
		require.Empty(t, res.Flags)
	})
}

func TestSyncUserMembership(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		live := addWindow(t, s, "beta", "ann", windowT0.Add(-time.Hour), endAt(windowT0.Add(time.Hour)))
		addWindow(t, s, "beta", "ann", windowT0.Add(-3*time.Hour), endAt(windowT0.Add(-2*time.Hour))) // expired
		addWindow(t, s, "beta", "bob", windowT0, nil)

		// waffle-window's row-level sync of the expired row removed ann; here
		// every window of hers counts.
		on, err := s.SyncUserMembership(ctx, "beta", "ann")
		require.NoError(t, err)
		require.True(t, on)
		require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"), "only ann: bob is synced on his own")
		require.True(t, groupAttached(t, s, "beta"), "the group is attached")
		on, err = s.SyncUserMembership(ctx, "beta", "ann")
		require.NoError(t, err)
		require.True(t, on, "idempotent")

		require.NoError(t, s.DeleteWindow(ctx, live.ID))
		on, err = s.SyncUserMembership(ctx, "beta", "ann")
		require.NoError(t, err)
		require.False(t, on)
		require.Nil(t, groupMembers(t, s, "beta"))

		// A member written by hand without a window goes too (on SQLite from
		// the table of members written by hand).
		require.NoError(t, s.db.Exec(`INSERT INTO waffle_group_member (group_id, user_id)
			SELECT id, 'eve' FROM waffle_group WHERE name = ?`, SyncGroupName("beta")).Error)
		require.Equal(t, []string{"eve"}, groupMembers(t, s, "beta"))
		on, err = s.SyncUserMembership(ctx, "beta", "eve")
		require.NoError(t, err)
		require.False(t, on)
		require.Nil(t, groupMembers(t, s, "beta"))

		clock.Set(windowT0.Add(-time.Second))
		on, err = s.SyncUserMembership(ctx, "beta", "bob")
		require.NoError(t, err)
		require.False(t, on, "bob's window has not started")

		_, err = s.SyncUserMembership(ctx, "missing", "ann")
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		require.Equal(t, &NotFoundError{Kind: "flag", Name: "missing"}, nf)
		_, err = s.SyncUserMembership(ctx, "_bad", "ann")
		require.ErrorIs(t, err, ErrInvalidName)
		_, err = s.SyncUserMembership(ctx, "beta", "")
		require.ErrorIs(t, err, ErrInvalidValue)
		_, err = s.SyncUserMembership(cancelled(), "beta", "ann")
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestSyncMembershipConcurrent(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		clock := newWindowClock(windowT0)
		setup := h.store(t, &Config{Now: clock.Now})
		flags := []string{"f1", "f2", "f3"}
		want := map[string][]string{}
		wantLater := map[string][]string{}
		for _, f := range flags {
			createFlag(t, setup, f)
			for i := range 40 {
				user := fmt.Sprintf("%s-u%02d", f, i)
				switch i % 4 {
				case 0: // active, and still after the clock moves
					addWindow(t, setup, f, user, windowT0.Add(-time.Hour), nil)
					want[f] = append(want[f], user)
					wantLater[f] = append(wantLater[f], user)
				case 1: // active, ends before the second round
					addWindow(t, setup, f, user, windowT0.Add(-time.Hour), endAt(windowT0.Add(time.Hour)))
					want[f] = append(want[f], user)
				case 2: // starts for the second round, twice over
					addWindow(t, setup, f, user, windowT0.Add(time.Hour), nil)
					addWindow(t, setup, f, user, windowT0.Add(90*time.Minute), endAt(windowT0.Add(3*time.Hour)))
					wantLater[f] = append(wantLater[f], user)
				case 3: // expired
					addWindow(t, setup, f, user, windowT0.Add(-2*time.Hour), endAt(windowT0.Add(-time.Hour)))
				}
			}
		}
		const replicas = 8
		stores := make([]*Store, replicas)
		for i := range stores {
			stores[i] = h.store(t, &Config{Now: clock.Now})
		}
		round := func() {
			t.Helper()
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, replicas)
			for i, s := range stores {
				wg.Go(func() {
					<-start
					if i%4 == 3 { // some replicas sync one user at a time
						for _, f := range flags {
							for j := range 40 {
								if _, err := s.SyncUserMembership(ctx, f, fmt.Sprintf("%s-u%02d", f, j)); err != nil {
									errs[i] = err
									return
								}
							}
						}
						return
					}
					_, errs[i] = s.SyncMembership(ctx)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				require.NoError(t, err, "replica %d", i)
			}
		}
		check := func(want map[string][]string) {
			t.Helper()
			for _, f := range flags {
				require.Equal(t, want[f], groupMembers(t, setup, f), f)
				require.True(t, groupAttached(t, setup, f), f)
			}
			require.Equal(t, int64(len(flags)), tableRows(t, setup, "waffle_group"), "one group per flag")
			require.Equal(t, int64(len(flags)), tableRows(t, setup, "waffle_flag_group"), "one link per flag")
			res, err := setup.SyncMembership(ctx)
			require.NoError(t, err)
			_, added, removed := res.Totals()
			require.Zero(t, added+removed, "the replicas left nothing to do")
		}

		round()
		check(want)
		clock.Set(windowT0.Add(2 * time.Hour))
		round()
		check(wantLater)
	})
}

// syncBuffer is a bytes.Buffer safe for a logger used from a goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestSyncLoop(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		var logs syncBuffer
		clock := newWindowClock(windowT0)
		s := h.store(t, &Config{
			Now:    clock.Now,
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0, endAt(windowT0.Add(time.Hour)))

		err := s.SyncLoop(context.Background(), 0)
		var ve *ValueError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "interval", ve.Field)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.SyncLoop(ctx, 2*time.Millisecond, "beta", "missing") }()

		const wait, tick = 5 * time.Second, time.Millisecond
		require.Eventually(t, func() bool { return len(groupMembers(t, s, "beta")) == 1 }, wait, tick, "the first run adds ann")
		require.Eventually(t, func() bool {
			return strings.Contains(logs.String(), `level=DEBUG msg="waffle: membership sync" flags=2 failed=1 active=1 added=1 removed=0`)
		}, wait, tick, logs.String())
		require.Contains(t, logs.String(), `level=ERROR msg="waffle: membership sync failed" flag=missing`)

		clock.Set(windowT0.Add(time.Hour)) // ann's window ends
		require.Eventually(t, func() bool { return groupMembers(t, s, "beta") == nil }, wait, tick, "a later run removes ann")
		require.Eventually(t, func() bool {
			return strings.Contains(logs.String(), "active=0 added=0 removed=1")
		}, wait, tick, logs.String())

		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "SyncLoop returns nil when its context ends")
		case <-time.After(wait):
			t.Fatal("SyncLoop did not return after its context ended")
		}
		require.NotContains(t, logs.String(), "context canceled", "shutting down is not logged as a failure")
	})
}

func TestSyncErrorWrapping(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	err := syncError(cancelled(), "f", base)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, base)
	require.Nil(t, syncError(context.Background(), "f", nil))
}

func TestSyncMembershipInApplicationTx(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		for _, f := range []string{"a", "b"} {
			createFlag(t, s, f)
			addWindow(t, s, f, "x", windowT0, nil)
		}
		poison(t, h, s)
		addWindow(t, s, "b", "poison", windowT0, nil)

		// Rolled back with the application's transaction.
		tx := s.db.Begin()
		require.NoError(t, tx.Error)
		res, err := s.WithTx(tx).SyncMembership(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, 1, res.Flags[0].Added)
		require.NoError(t, tx.Rollback().Error)
		require.Nil(t, groupMembers(t, s, "a"))
		require.False(t, groupAttached(t, s, "a"))

		// b fails first; a, in the same transaction, still syncs, and commits
		// with it.
		tx = s.db.Begin()
		require.NoError(t, tx.Error)
		ts := s.WithTx(tx)
		res, err = ts.SyncMembership(ctx, "b", "a")
		require.ErrorContains(t, err, "poisoned")
		require.Error(t, res.Flags[0].Err)
		require.NoError(t, res.Flags[1].Err, "a savepoint kept the transaction usable")
		on, err := ts.SyncUserMembership(ctx, "b", "x")
		require.NoError(t, err)
		require.True(t, on)
		require.NoError(t, tx.Commit().Error)
		require.Equal(t, []string{"x"}, groupMembers(t, s, "a"))
		require.Equal(t, []string{"x"}, groupMembers(t, s, "b"), "only SyncUserMembership's change to b")
	})
}

func TestSyncMembershipLongFlagName(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, _ := clockStore(t, h)
		name := strings.Repeat("é", 255)
		createFlag(t, s, name)
		addWindow(t, s, name, "ann", windowT0, nil)
		fs := syncOne(t, s, name)
		require.Equal(t, 1, fs.Added)
		require.Equal(t, []string{"ann"}, groupMembers(t, s, name), "a 262-character group name fits")
	})
}

// Every replica may run the loop: three stores loop at once, with no error
// logged and the state the windows say.
func TestSyncLoopReplicas(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		var logs syncBuffer
		clock := newWindowClock(windowT0)
		cfg := &Config{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		s := h.store(t, cfg)
		for _, f := range []string{"a", "b", "c"} {
			createFlag(t, s, f)
			addWindow(t, s, f, "ann", windowT0, endAt(windowT0.Add(time.Hour)))
			addWindow(t, s, f, "bob", windowT0, nil)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			r := h.store(t, cfg)
			wg.Go(func() { errs <- r.SyncLoop(ctx, time.Millisecond) })
		}
		const wait, tick = 10 * time.Second, time.Millisecond
		members := func(want ...string) func() bool {
			return func() bool {
				for _, f := range []string{"a", "b", "c"} {
					if !slices.Equal(groupMembers(t, s, f), want) {
						return false
					}
				}
				return true
			}
		}
		require.Eventually(t, members("ann", "bob"), wait, tick)
		clock.Set(windowT0.Add(time.Hour))
		require.Eventually(t, members("bob"), wait, tick)
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.NotContains(t, logs.String(), "level=ERROR")
		require.Contains(t, logs.String(), "removed=")
		require.Equal(t, int64(3), tableRows(t, s, "waffle_group"))
		require.Equal(t, int64(3), tableRows(t, s, memberRows(s)))
	})
}

// TestSyncUserMembershipMarksTheGroup adds and then removes a user with SyncUserMembership
// in a group whose flag's last sync left it clean: writes to the group like
// any other, so the flag's next sync compares in full and counts right (an
// incremental sync would find the user's window already served and count
// one member too few, then too many).
func TestSyncUserMembershipMarksTheGroup(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		addWindow(t, s, "beta", "ann", windowT0, nil)
		addWindow(t, s, "beta", "cat", windowT0.Add(time.Minute), endAt(windowT0.Add(3*time.Minute)))
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Added: 1, Full: true}, syncOne(t, s, "beta"))

		clock.Set(windowT0.Add(2 * time.Minute))
		on, err := s.SyncUserMembership(ctx, "beta", "cat")
		require.NoError(t, err)
		require.True(t, on)
		require.Equal(t, FlagSync{Flag: "beta", Active: 2, Full: true}, syncOne(t, s, "beta"))
		require.Equal(t, []string{"ann", "cat"}, groupMembers(t, s, "beta"))

		// Already a member: SyncUserMembership writes nothing, and the next sync
		// is incremental.
		on, err = s.SyncUserMembership(ctx, "beta", "cat")
		require.NoError(t, err)
		require.True(t, on)
		require.Equal(t, FlagSync{Flag: "beta", Active: 2}, syncOne(t, s, "beta"))
		on, err = s.FlagIsActive(WithUser(ctx, User{ID: "cat"}), "beta")
		require.NoError(t, err)
		require.True(t, on)

		// A user SyncUserMembership removes, likewise.
		clock.Set(windowT0.Add(4 * time.Minute))
		on, err = s.SyncUserMembership(ctx, "beta", "cat")
		require.NoError(t, err)
		require.False(t, on)
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Full: true}, syncOne(t, s, "beta"))
		require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"))
	})
}

// TestSyncMembershipOneConnection syncs several flags through a pool of one
// connection: a sync holds one connection for all its flags (on SQLite, with
// its statements prepared on it) and must never wait for a second.
func TestSyncMembershipOneConnection(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, _ := clockStore(t, h)
		for _, flag := range []string{"alpha", "beta", "gamma"} {
			createFlag(t, s, flag)
			addWindow(t, s, flag, "ann", windowT0, nil)
		}
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		sqlDB.SetMaxOpenConns(1)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for range 2 {
			res, err := s.SyncMembership(ctx)
			require.NoError(t, err)
			require.Len(t, res.Flags, 3)
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: "ann"}), "gamma")
			require.NoError(t, err)
			require.True(t, on)
		}
		require.Equal(t, 0, sqlDB.Stats().InUse, "the sync's connection went back to the pool")
	})
}

// TestSyncMembershipAfterFailedRollback fails a flag's sync and then its
// rollback, which discards the connection: the next flag syncs on another
// one (on SQLite the sync holds one connection for all its flags).
func TestSyncMembershipAfterFailedRollback(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		for _, flag := range []string{"alpha", "beta"} {
			createFlag(t, s, flag)
			addWindow(t, s, flag, "ann", windowT0, nil)
		}
		injected := errors.New("injected")
		var failedAdd, failedRollback atomic.Bool
		faulty := h.faultStore(t, &Config{Now: clock.Now}, func(q string) error {
			switch {
			case q == s.q.SQL("sync_add_new") && failedAdd.CompareAndSwap(false, true):
				return injected
			case q == s.q.SQL("tx_rollback") && failedAdd.Load() && failedRollback.CompareAndSwap(false, true):
				return injected
			}
			return nil
		})
		res, err := faulty.SyncMembership(context.Background())
		require.ErrorIs(t, err, injected)
		require.True(t, failedRollback.Load(), "the rollback failed")
		require.Len(t, res.Flags, 2)
		require.ErrorIs(t, res.Flags[0].Err, injected)
		require.Equal(t, FlagSync{Flag: "beta", Active: 1, Added: 1, Full: true}, res.Flags[1])
		require.Nil(t, groupMembers(t, s, "alpha"))
		require.Equal(t, []string{"ann"}, groupMembers(t, s, "beta"))
		require.Equal(t, FlagSync{Flag: "alpha", Active: 1, Added: 1, Full: true}, syncOne(t, s, "alpha"))
	})
}

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

// TestSyncMembershipIncrementalMatchesFull moves the clock back and forth
// over windows whose bounds fall on the same few instants, and checks after
// every sync that the group holds exactly the users active by FlagMember's
// own rule. Between edits the syncs are incremental (Full is false); after
// an edit of the windows or of the group, the next one is full.
func TestSyncMembershipIncrementalMatchesFull(t *testing.T) {
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

// TestSyncMembershipStateFollowsWrites checks that every way of writing a
// flag's windows or its group's members, through the library or by SQL,
// makes the next sync compare in full, and that a sync that changed nothing
// writes nothing.
func TestSyncMembershipStateFollowsWrites(t *testing.T) {
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

// TestSyncMembershipConcurrentWindowWrites writes windows that started in
// the past (which an incremental sync would not look at) while replicas
// sync: a write that a sync did not see must leave the flag's state dirty,
// so that the last sync finds every user.
func TestSyncMembershipConcurrentWindowWrites(t *testing.T) {
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

// TestSyncMembershipLocksItsState forces the interleaving that the lock on a
// flag's sync state is for, on PostgreSQL (SQLite's single writer rules it
// out): a window added while a sync runs (just before the sync's first
// write to the group, whose own trigger would lock the state too), starting
// before the last sync's instant, so that the sync does not see it and an
// incremental sync would never look at it. The window's statement must wait
// for the sync to commit and then mark the state dirty; were it not to wait,
// the sync would mark its state clean over that mark and the user would stay
// out of the group.
func TestSyncMembershipLocksItsState(t *testing.T) {
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

// TestSyncMembershipNewGroupStartsEmpty plants a member row for the ID the
// flag's group is about to get. PostgreSQL refuses it (the schema's
// trigger checks what the foreign key it replaces did), and so does SQLite
// with foreign_keys=on; a SQLite connection without it stores the row, and
// the sync then clears the group it creates: the group holds exactly the
// users the sync adds, counted right.
func TestSyncMembershipNewGroupStartsEmpty(t *testing.T) {
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
			// Stray rows in both member tables (schema version 1).
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
// The delete must wait for that transaction (the schema's trigger locks the
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
// another path than the groups filled by hand: schema version 1).
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
		// groups filled by hand (schema version 1), which would cost every member
		// the sync adds an entry there; on SQLite they are in a table of their
		// own (schema version 1).
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
// user that schema version 1 keeps (PostgreSQL: a partial index; SQLite: a table
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

// TestSyncMembershipStatements pins the number of statements of one flag's
// sync, BEGIN and COMMIT included, since each is a round trip on
// PostgreSQL: the fixed cost of a flag, which the naive-sync benchmark
// weighs against the per-member cost.
func TestSyncMembershipStatements(t *testing.T) {
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
