package waffle

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// windowClock is an injectable Config.Now for window tests.
type windowClock struct {
	mu sync.Mutex
	t  time.Time
}

func newWindowClock(t time.Time) *windowClock { return &windowClock{t: t} }

func (c *windowClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *windowClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// windowT0 is the tests' "now": a whole second, in a zone that is not UTC so
// that the library's conversion to UTC is exercised.
var windowT0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.FixedZone("CET", 3600))

// clockStore returns a store on h whose clock starts at windowT0.
func clockStore(t *testing.T, h *harness) (*Store, *windowClock) {
	t.Helper()
	clock := newWindowClock(windowT0)
	return h.store(t, &Config{Now: clock.Now}), clock
}

// createFlag creates the flag called name, off for everyone.
func createFlag(t testing.TB, s *Store, name string) {
	t.Helper()
	require.NoError(t, s.SaveFlag(context.Background(), &Flag{Name: name}))
}

// addWindow adds a window for user on flag from start to end (nil: open).
func addWindow(t testing.TB, s *Store, flag, user string, start time.Time, end *time.Time) FlagMember {
	t.Helper()
	m, err := s.AddWindow(context.Background(), FlagMember{Flag: flag, User: user, Start: start, End: end})
	require.NoError(t, err)
	return m
}

// groupMembers returns the members of flag's WAFFLE_ group, sorted; nil when
// the group does not exist.
func groupMembers(t testing.TB, s *Store, flag string) []string {
	t.Helper()
	var users []string
	require.NoError(t, s.db.Raw(`SELECT gm.user_id FROM `+memberRows(s)+` gm
		JOIN waffle_group g ON g.id = gm.group_id WHERE g.name = ? ORDER BY gm.user_id`,
		SyncGroupName(flag)).Scan(&users).Error)
	return users
}

// memberRows is where a test reads every member row, one row for each:
// PostgreSQL's waffle_group_member; on SQLite, the view of both member tables
// (the schema keeps a sync's members in waffle_sync_member).
func memberRows(s *Store) string {
	if s.Dialect() == "sqlite" {
		return "waffle_group_member_all"
	}
	return "waffle_group_member"
}

// syncMemberTable is the table the sync writes its group's members to.
func syncMemberTable(s *Store) string {
	if s.Dialect() == "sqlite" {
		return "waffle_sync_member"
	}
	return "waffle_group_member"
}

// groupAttached reports whether flag's WAFFLE_ group exists and is attached
// to the flag.
func groupAttached(t testing.TB, s *Store, flag string) bool {
	t.Helper()
	var n int64
	require.NoError(t, s.db.Raw(`SELECT count(*) FROM waffle_flag_group fg
		JOIN waffle_flag f ON f.id = fg.flag_id JOIN waffle_group g ON g.id = fg.group_id
		WHERE f.name = ? AND g.name = ?`, flag, SyncGroupName(flag)).Scan(&n).Error)
	return n == 1
}

// tableRows counts the rows of table.
func tableRows(t testing.TB, s *Store, table string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, s.db.Table(table).Count(&n).Error)
	return n
}

// endAt returns a pointer to t, for FlagMember.End.
func endAt(t time.Time) *time.Time { return &t }

func TestAddMemberValidation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		createFlag(t, s, "beta")
		start := windowT0
		tests := []struct {
			name string
			m    FlagMember
			want any // a pointer to the error type expected
			is   error
		}{
			{"UnknownFlag", FlagMember{Flag: "nope", User: "u"}, new(*NotFoundError), ErrNotFound},
			{"InvalidFlagName", FlagMember{Flag: "_x", User: "u"}, new(*NameError), ErrInvalidName},
			{"EmptyUser", FlagMember{Flag: "beta", User: ""}, new(*ValueError), ErrInvalidValue},
			{"InvalidUTF8User", FlagMember{Flag: "beta", User: "a\xffb"}, new(*ValueError), ErrInvalidValue},
			{"ControlCharUser", FlagMember{Flag: "beta", User: "a\nb"}, new(*ValueError), ErrInvalidValue},
			{"C1ControlUser", FlagMember{Flag: "beta", User: "a\u0085b"}, new(*ValueError), ErrInvalidValue},
			{"LongUser", FlagMember{Flag: "beta", User: strings.Repeat("é", 256)}, new(*ValueError), ErrInvalidValue},
			{"EndEqualsStart", FlagMember{Flag: "beta", User: "u", Start: start, End: endAt(start)}, new(*ValueError), ErrInvalidValue},
			{"EndBeforeStart", FlagMember{Flag: "beta", User: "u", Start: start, End: endAt(start.Add(-time.Hour))}, new(*ValueError), ErrInvalidValue},
			{"EndWithinAMicrosecond", FlagMember{Flag: "beta", User: "u", Start: start, End: endAt(start.Add(500 * time.Nanosecond))}, new(*ValueError), ErrInvalidValue},
			{"EndBeforeDefaultStart", FlagMember{Flag: "beta", User: "u", End: endAt(start.Add(-time.Second))}, new(*ValueError), ErrInvalidValue},
		}
		for _, tc := range tests {
			_, err := s.AddWindow(ctx, tc.m)
			require.Error(t, err, tc.name)
			require.ErrorAs(t, err, tc.want, tc.name)
			require.ErrorIs(t, err, tc.is, tc.name)
		}
		var nf *NotFoundError
		_, err := s.AddWindow(ctx, FlagMember{Flag: "nope", User: "u"})
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "flag", nf.Kind)
		require.Equal(t, "nope", nf.Name)
		var ve *ValueError
		_, err = s.AddWindow(ctx, FlagMember{Flag: "beta", User: "u", Start: start, End: endAt(start)})
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "end", ve.Field)
		require.Equal(t, "beta", ve.Name)
		require.Zero(t, tableRows(t, s, "waffle_flag_member"), "nothing written")

		// Valid edge cases: 255 runes, a leading underscore, spaces.
		for _, user := range []string{strings.Repeat("é", 255), "_42", "user 42", "ünï"} {
			m, err := s.AddWindow(ctx, FlagMember{Flag: "beta", User: user})
			require.NoError(t, err, user)
			require.Equal(t, user, m.User)
		}
	})
}

func TestMemberRecords(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		createFlag(t, s, "beta")
		createFlag(t, s, "gamma")
		utc := windowT0.UTC()

		// Zero Start: now. Times come back in UTC at microsecond precision.
		a, err := s.AddWindow(ctx, FlagMember{Flag: "beta", User: "ann", End: endAt(windowT0.Add(time.Hour + 1500*time.Nanosecond)), Note: "trial"})
		require.NoError(t, err)
		require.NotZero(t, a.ID)
		require.Equal(t, utc, a.Start)
		require.Equal(t, utc.Add(time.Hour+time.Microsecond), *a.End)
		require.Equal(t, utc, a.Created)
		require.Equal(t, time.UTC, a.Start.Location())

		got, err := s.GetWindow(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, a, got, "stored as returned")

		// Several windows per user and flag; open-ended; future; past.
		b := addWindow(t, s, "beta", "ann", windowT0.Add(2*time.Hour), nil)
		c := addWindow(t, s, "gamma", "ann", windowT0.Add(-2*time.Hour), endAt(windowT0.Add(-time.Hour)))
		d := addWindow(t, s, "beta", "bob", windowT0.Add(-time.Hour), nil)
		require.Nil(t, b.End)

		ids := func(list []FlagMember) []int64 {
			var out []int64
			for _, m := range list {
				out = append(out, m.ID)
			}
			return out
		}
		list := func(f WindowFilter) []int64 {
			t.Helper()
			l, err := s.ListWindows(ctx, f)
			require.NoError(t, err)
			return ids(l)
		}
		require.Equal(t, []int64{a.ID, b.ID, c.ID, d.ID}, list(WindowFilter{}))
		require.Equal(t, []int64{a.ID, b.ID, d.ID}, list(WindowFilter{Flag: "beta"}))
		require.Equal(t, []int64{a.ID, b.ID, c.ID}, list(WindowFilter{User: "ann"}))
		require.Equal(t, []int64{a.ID, b.ID}, list(WindowFilter{Flag: "beta", User: "ann"}))
		require.Equal(t, []int64{a.ID, d.ID}, list(WindowFilter{ActiveOnly: true}))
		require.Equal(t, []int64{a.ID}, list(WindowFilter{User: "ann", ActiveOnly: true}))
		require.Empty(t, list(WindowFilter{Flag: "gamma", ActiveOnly: true}))
		require.Empty(t, list(WindowFilter{User: "nobody"}))
		// Pages.
		require.Equal(t, []int64{a.ID, b.ID}, list(WindowFilter{Limit: 2}))
		require.Equal(t, []int64{c.ID, d.ID}, list(WindowFilter{Limit: 2, AfterID: b.ID}))
		require.Empty(t, list(WindowFilter{AfterID: d.ID}))

		// The clock moves: ActiveOnly follows it.
		clock.Set(windowT0.Add(3 * time.Hour))
		require.Equal(t, []int64{b.ID, d.ID}, list(WindowFilter{ActiveOnly: true}))

		_, err = s.ListWindows(ctx, WindowFilter{Flag: "nope"})
		require.ErrorIs(t, err, ErrNotFound)
		_, err = s.ListWindows(ctx, WindowFilter{Flag: "_bad"})
		require.ErrorIs(t, err, ErrInvalidName)
		_, err = s.ListWindows(ctx, WindowFilter{User: "a\x00"})
		require.ErrorIs(t, err, ErrInvalidValue)
		_, err = s.ListWindows(ctx, WindowFilter{Limit: -1})
		require.ErrorIs(t, err, ErrInvalidValue)

		// Update: every field but created; validated like AddWindow.
		upd := c
		upd.Flag, upd.User, upd.Note = "beta", "cat", "moved"
		upd.Start, upd.End = windowT0, endAt(windowT0.Add(24*time.Hour))
		upd.Created = time.Time{}
		u, err := s.UpdateWindow(ctx, upd)
		require.NoError(t, err)
		require.Equal(t, c.Created, u.Created, "created stays")
		got, err = s.GetWindow(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)
		require.Equal(t, "beta", got.Flag)
		require.Equal(t, "cat", got.User)
		require.Equal(t, "moved", got.Note)

		bad := got
		bad.End = endAt(bad.Start)
		_, err = s.UpdateWindow(ctx, bad)
		require.ErrorIs(t, err, ErrInvalidValue)
		bad = got
		bad.Flag = "nope"
		_, err = s.UpdateWindow(ctx, bad)
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "flag", nf.Kind)
		bad = got
		bad.ID = 1 << 40
		_, err = s.UpdateWindow(ctx, bad)
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "window", nf.Kind)
		got2, err := s.GetWindow(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, got, got2, "failed updates changed nothing")

		// Delete.
		require.NoError(t, s.DeleteWindow(ctx, a.ID))
		require.ErrorIs(t, s.DeleteWindow(ctx, a.ID), ErrNotFound)
		_, err = s.GetWindow(ctx, a.ID)
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "window", nf.Kind)
		require.Equal(t, []int64{b.ID, c.ID, d.ID}, list(WindowFilter{}))
	})
}

func TestFlagMemberActiveAt(t *testing.T) {
	t.Parallel()
	start := windowT0
	end := start.Add(time.Hour)
	m := FlagMember{Start: start, End: &end}
	require.False(t, m.ActiveAt(start.Add(-time.Microsecond)))
	require.True(t, m.ActiveAt(start), "start inclusive")
	require.True(t, m.ActiveAt(end.Add(-time.Microsecond)))
	require.False(t, m.ActiveAt(end), "end exclusive")
	open := FlagMember{Start: start}
	require.False(t, open.ActiveAt(start.Add(-time.Nanosecond)))
	require.True(t, open.ActiveAt(start.Add(100*365*24*time.Hour)), "open-ended")
}

func TestMemberCancelledContext(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, _ := clockStore(t, h)
		createFlag(t, s, "beta")
		_, err := s.AddWindow(cancelled(), FlagMember{Flag: "beta", User: "u"})
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `flag "beta"`)
		require.Zero(t, tableRows(t, s, "waffle_flag_member"))
	})
}

// A window reaches evaluation through the sync: FlagIsActive reads the
// WAFFLE_ group like any group of the flag, in its one statement.
func TestWindowTurnsFlagOnAndOff(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, clock := clockStore(t, h)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
		addWindow(t, s, "beta", "ann", windowT0, endAt(windowT0.Add(time.Hour)))
		ann := WithUser(ctx, User{ID: "ann"})
		bob := WithUser(ctx, User{ID: "bob"})
		active := func(ctx context.Context) bool {
			t.Helper()
			on, err := s.FlagIsActive(ctx, "beta")
			require.NoError(t, err)
			return on
		}

		require.False(t, active(ann), "no sync yet")
		syncOne(t, s, "beta")
		require.True(t, active(ann), "window -> sync -> on")
		require.False(t, active(bob))

		// Saving the flag keeps the sync's group attached, and the flag
		// lists it.
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Contains(t, f.Groups, SyncGroupName("beta"))
		f.Groups = nil
		f.Note = "edited"
		require.NoError(t, s.SaveFlag(ctx, f))
		require.True(t, active(ann), "SaveFlag left the WAFFLE_ group attached")

		clock.Set(windowT0.Add(time.Hour))
		require.True(t, active(ann), "the end counts from the next sync")
		syncOne(t, s, "beta")
		require.False(t, active(ann), "clock past the end -> sync -> off")

		// SyncUserMembership turns it on at once for one user.
		addWindow(t, s, "beta", "bob", windowT0, nil)
		on, err := s.SyncUserMembership(ctx, "beta", "bob")
		require.NoError(t, err)
		require.True(t, on)
		require.True(t, active(bob))
	})
}

func TestDeleteFlagRemovesWindowsAndGroup(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, _ := clockStore(t, h)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "other"}))
		addWindow(t, s, "beta", "ann", windowT0, nil)
		addWindow(t, s, "beta", "bob", windowT0, nil)
		kept := addWindow(t, s, "other", "ann", windowT0, nil)
		_, err := s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"ann", "bob"}, groupMembers(t, s, "beta"))

		require.NoError(t, s.DeleteFlag(ctx, "beta"))
		list, err := s.ListWindows(ctx, WindowFilter{})
		require.NoError(t, err)
		require.Equal(t, []FlagMember{kept}, list, "beta's windows went with it")
		require.Nil(t, groupMembers(t, s, "beta"))
		var groups []string
		require.NoError(t, s.db.Raw("SELECT name FROM waffle_group ORDER BY name").Scan(&groups).Error)
		require.Equal(t, []string{SyncGroupName("other")}, groups, "beta's WAFFLE_ group went with it")

		res, err := s.SyncMembership(ctx)
		require.NoError(t, err)
		require.Equal(t, []FlagSync{{Flag: "other", Active: 1}}, res.Flags)
		_, err = s.SyncMembership(ctx, "beta")
		require.ErrorIs(t, err, ErrNotFound)
	})
}
