package waffle

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// The Django side's calendar: windows are dates in Django's TIME_ZONE.
const djangoSyncZone = "Asia/Tokyo"

func djangoToday(t testing.TB, days int) string {
	t.Helper()
	loc, err := time.LoadLocation(djangoSyncZone)
	require.NoError(t, err)
	return time.Now().In(loc).AddDate(0, 0, days).Format("2006-01-02")
}

func TestDjangoSyncMembership(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation(djangoSyncZone)
	require.NoError(t, err)
	cfg := &Config{Django: &DjangoConfig{TimeZone: loc}}
	eachDjangoDB(t, djangotest.Options{TimeZone: djangoSyncZone}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		day := func(d int) string { return djangoToday(t, d) }
		win := func(user, flag string, from, to int) map[string]string {
			return map[string]string{"user": user, "flag": flag, "start": day(from), "end": day(to)}
		}
		h.django.Run(t, "write", map[string]any{
			"users": []map[string]any{{"id": "1"}, {"id": "2"}, {"id": "3"}, {"id": "4"}, {"id": "5"},
				{"id": "6", "groups": []string{"WAFFLE_a"}}},
			"flags": []map[string]any{{"name": "a", "superusers": false}, {"name": "b", "superusers": false}, {"name": "empty"}},
			"windows": []map[string]string{
				win("1", "a", -1, 1), win("1", "a", -5, -2), // live, and an expired row of the same user
				win("2", "a", -3, -1), // expired yesterday
				win("3", "a", 1, 3),   // starts tomorrow
				win("4", "a", 0, 0),   // today only: both ends inclusive
				win("5", "b", -1, 1),
			},
		}, nil)

		res, err := h.s.SyncMembership(ctx)
		require.NoError(t, err)
		got := map[string]FlagSync{}
		for _, f := range res.Flags {
			got[f.Flag] = f
		}
		require.Len(t, got, 3, "every flag, as waffle-window's command")
		require.Equal(t, 2, got["a"].Active)
		require.Equal(t, 2, got["a"].Added)
		require.Equal(t, 1, got["a"].Removed, "a member added by hand is removed: the group is the sync's")
		require.Equal(t, 1, got["b"].Active)
		require.Equal(t, 0, got["empty"].Active)

		goSide := h.read(t)
		require.Equal(t, []string{"1", "4"}, goSide.group("WAFFLE_a"))
		require.Equal(t, []string{"5"}, goSide.group("WAFFLE_b"))
		for _, f := range goSide.Flags {
			require.Contains(t, f.Groups, "WAFFLE_"+f.Name, "the group is attached to its flag")
		}
		on := func(flag, user string) bool {
			v, _ := djangoEval(t, h.s, flag, &User{ID: user, Authenticated: true}, "", "", nil)
			return v
		}
		require.True(t, on("a", "1"))
		require.True(t, on("a", "4"))
		require.False(t, on("a", "2"))
		require.False(t, on("a", "6"))

		// Django's own sync on the same data leaves the same groups.
		h.django.Run(t, "sync", struct{}{}, nil)
		djangoSide := h.read(t)
		require.Equal(t, goSide.Groups, djangoSide.Groups)

		// Nothing changed: nothing written.
		res, err = h.s.SyncMembership(ctx, "a", "b")
		require.NoError(t, err)
		for _, f := range res.Flags {
			require.Zero(t, f.Added+f.Removed, f.Flag)
		}

		// Many replicas at once: no error, the same end state.
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = h.store(t, cfg).SyncMembership(ctx)
			}()
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		require.Equal(t, djangoSide.Groups, h.read(t).Groups)

		// A flag that does not exist.
		res, err = h.s.SyncMembership(ctx, "nope")
		require.ErrorIs(t, err, ErrNotFound)
		require.Len(t, res.Flags, 1)

		// The library's own windows (AddWindow) count too, for users that
		// are auth_user keys.
		_, err = h.s.AddWindow(ctx, FlagMember{Flag: "b", User: "2", Start: time.Now().Add(-time.Hour)})
		require.NoError(t, err)
		_, err = h.s.AddWindow(ctx, FlagMember{Flag: "b", User: "3", Start: time.Now().Add(-2 * time.Hour), End: ptr(time.Now().Add(-time.Hour))})
		require.NoError(t, err)
		var ve *ValueError
		_, err = h.s.AddWindow(ctx, FlagMember{Flag: "b", User: "alice"})
		require.ErrorAs(t, err, &ve)
		res, err = h.s.SyncMembership(ctx, "b")
		require.NoError(t, err)
		require.Equal(t, 2, res.Flags[0].Active)
		require.Equal(t, []string{"2", "5"}, h.read(t).group("WAFFLE_b"))

		// One user at a time.
		in, err := h.s.SyncUserMembership(ctx, "a", "2")
		require.NoError(t, err)
		require.False(t, in)
		h.django.Run(t, "write", map[string]any{"windows": []map[string]string{win("2", "a", 0, 5)}}, nil)
		in, err = h.s.SyncUserMembership(ctx, "a", "2")
		require.NoError(t, err)
		require.True(t, in)
		require.Equal(t, []string{"1", "2", "4"}, h.read(t).group("WAFFLE_a"))
		_, err = h.s.SyncUserMembership(ctx, "nope", "2")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

// TestDjangoSyncAgrees syncs 600 generated waffle-window windows
// from Go and with waffle-window's algorithm run by Django, on both
// databases, and requires the same groups.
func TestDjangoSyncAgrees(t *testing.T) {
	t.Parallel()
	djangotest.Require(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		djangoSyncCompare(t, db, 150, 4, 600)
	})
}

// TestDjangoSyncScale times a sync of 100,000 waffle-window windows from Go
// on PostgreSQL beside waffle-window's sync_flag_membership run by Django on
// the same data, and checks both leave the same groups. It takes about a
// minute: it runs when WAFFLE_DJANGO_SYNC_BENCH=1 (the figure is in
// docs/django.md).
func TestDjangoSyncScale(t *testing.T) {
	if os.Getenv("WAFFLE_DJANGO_SYNC_BENCH") != "1" {
		t.Skip("set WAFFLE_DJANGO_SYNC_BENCH=1 to time a 100,000-window sync beside Django's")
	}
	djangotest.Require(t)
	djangoSyncCompare(t, testdb.New(t, testdb.Postgres), 20000, 20, 100000)
}

// djangoSyncCompare writes windows through Django, syncs them from Go (twice:
// the second finds nothing to change) and then with Django's algorithm, and
// requires the same groups; it logs the times.
func djangoSyncCompare(t *testing.T, db *testdb.DB, users, flags, windows int) {
	t.Helper()
	p := djangotest.New(t, db, djangotest.Options{TimeZone: djangoSyncZone})
	p.Migrate(t)
	world := map[string]any{"bulk_users": users}
	var fl []map[string]any
	for i := range flags {
		fl = append(fl, map[string]any{"name": "f" + strconv.Itoa(i)})
	}
	world["flags"] = fl
	ws := make([]map[string]string, 0, windows)
	for i := range windows {
		// Half live today (one of them today only), the rest over or to come.
		from, to := -2, 2
		switch i % 8 {
		case 1, 5:
			from, to = -10, -1
		case 2, 6:
			from, to = 1, 10
		case 3:
			from, to = 0, 0
		}
		ws = append(ws, map[string]string{"user": strconv.Itoa(1 + (i*7919)%users), "flag": "f" + strconv.Itoa(i%flags),
			"start": djangoToday(t, from), "end": djangoToday(t, to)})
	}
	world["windows"] = ws
	p.Run(t, "write", world, nil)

	loc, err := time.LoadLocation(djangoSyncZone)
	require.NoError(t, err)
	s, err := New(db.Open(t), &Config{Django: &DjangoConfig{TimeZone: loc}})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	start := time.Now()
	res, err := s.SyncMembership(ctx)
	goFirst := time.Since(start)
	require.NoError(t, err)
	active, added, _ := res.Totals()
	require.Equal(t, active, added)
	start = time.Now()
	res, err = s.SyncMembership(ctx)
	goAgain := time.Since(start)
	require.NoError(t, err)
	_, added, removed := res.Totals()
	require.Zero(t, added+removed, "a second sync changes nothing")

	var afterGo, afterDjango djangoRead
	p.Run(t, "groups", struct{}{}, &afterGo)
	var dj struct {
		Seconds float64 `json:"seconds"`
	}
	p.Run(t, "sync", struct{}{}, &dj)
	p.Run(t, "groups", struct{}{}, &afterDjango)
	require.Len(t, afterGo.Groups, flags)
	require.Equal(t, afterDjango.Groups, afterGo.Groups)
	djangoTime := time.Duration(dj.Seconds * float64(time.Second))
	t.Logf("%s: sync of %d windows (%d flags, %d live members): Go first %v, Go again (no change) %v, Django %v: Django/Go = %.1fx",
		db.Name(), windows, flags, active, goFirst.Round(time.Millisecond), goAgain.Round(time.Millisecond),
		djangoTime.Round(time.Millisecond), djangoTime.Seconds()/goFirst.Seconds())
}
