package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestWindow(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.flags("beta", "other")

		out := c.ok("window", "add", "beta", "u1", "--start", "2020-01-01", "--end", "2100-01-01T12:30:00+02:00", "--note", "pilot")
		require.Equal(t, "Added window 1: user u1 has flag beta from 2020-01-01T00:00:00Z until 2100-01-01T10:30:00Z.\n"+
			"It takes effect at the next `waffle sync beta`.\n", out)
		c.ok("window", "add", "beta", "u2", "--start", "2020-01-01", "--end", "2020-02-01") // over
		c.ok("window", "add", "other", "u1", "--end", "never")                              // from now, no end
		var added windowJSON
		c.json(&added, "window", "add", "beta", "u3", "--start", "2099-05-05", "--json")
		require.Equal(t, time.Date(2099, 5, 5, 0, 0, 0, 0, time.UTC), added.Start)
		require.Nil(t, added.End)
		require.False(t, added.Active, "not yet")

		ms, err := c.s.ListWindows(ctx, waffle.WindowFilter{Flag: "beta", User: "u1"})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ms[0].Start, "a date is midnight UTC")
		require.Equal(t, time.Date(2100, 1, 1, 10, 30, 0, 0, time.UTC), *ms[0].End)
		require.Equal(t, "pilot", ms[0].Note)

		all := lines(c.ok("window", "list"))
		require.Len(t, all, 5)
		require.Regexp(t, `^ID\s+FLAG\s+USER\s+START\s+END\s+ACTIVE\s+NOTE$`, all[0])
		require.Regexp(t, `^1\s+beta\s+u1\s+2020-01-01T00:00:00Z\s+2100-01-01T10:30:00Z\s+yes\s+pilot$`, all[1])
		require.Regexp(t, `^2\s+beta\s+u2\s+2020-01-01T00:00:00Z\s+2020-02-01T00:00:00Z\s+no$`, all[2])
		require.Regexp(t, `^3\s+other\s+u1\s+\S+\s+-\s+yes$`, all[3])

		require.Len(t, lines(c.ok("window", "list", "--flag", "beta")), 4)
		require.Len(t, lines(c.ok("window", "list", "--user", "u1")), 3)
		require.Len(t, lines(c.ok("window", "list", "--flag", "beta", "--active")), 2)
		var js []windowJSON
		c.json(&js, "window", "list", "--user", "u1", "--json")
		require.Len(t, js, 2)
		require.True(t, js[0].Active)
		require.Equal(t, "beta", js[0].Flag)
		require.Equal(t, "[]\n", c.ok("window", "list", "--user", "nobody", "--json"))

		require.Equal(t, "Deleted 2 windows\nNot found: window 99\n", c.ok("window", "delete", "2", "99", "3"))
		ms, err = c.s.ListWindows(ctx, waffle.WindowFilter{})
		require.NoError(t, err)
		require.Len(t, ms, 2)
	})
}

func TestWindowErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.flags("beta")
		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"window"}, "give a subcommand"},
			{2, []string{"window", "move"}, `unknown subcommand "move"`},
			{2, []string{"window", "add", "beta"}, "missing arguments"},
			{2, []string{"window", "add", "beta", "u", "--start", "tomorrow"}, `--start: invalid time "tomorrow"`},
			{2, []string{"window", "add", "beta", "u", "--start", "2026-13-01"}, `invalid time "2026-13-01"`},
			{2, []string{"window", "add", "beta", "u", "--end", "2026-02-30"}, `--end: invalid time "2026-02-30"`},
			{2, []string{"window", "add", "beta", "u", "--start", "2026-01-01 10:00"}, "invalid time"},
			{2, []string{"window", "delete"}, "missing arguments"},
			{2, []string{"window", "delete", "x"}, `invalid window ID "x"`},
			{2, []string{"window", "delete", "0"}, `invalid window ID "0"`},
			{1, []string{"window", "add", "nope", "u"}, `flag "nope" not found`},
			{1, []string{"window", "add", "beta", "u", "--start", "2026-02-01", "--end", "2026-01-01"}, "end"},
			{1, []string{"window", "add", "beta", "u", "--start", "2026-01-01", "--end", "2026-01-01"}, "end"},
			{1, []string{"window", "add", "beta", "bad\tid"}, "user"},
			{1, []string{"window", "list", "--flag", "nope"}, `flag "nope" not found`},
		} {
			require.Contains(t, c.fails(tc.code, tc.args...), tc.msg, "%q", tc.args)
		}
		ms, err := c.s.ListWindows(ctx, waffle.WindowFilter{})
		require.NoError(t, err)
		require.Empty(t, ms, "no failure wrote a window")
	})
}

// update changes only the fields given, and can move a window or drop its
// end; a bad option changes nothing.
func TestWindowUpdate(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.flags("beta", "other")
		c.ok("window", "add", "beta", "u1", "--start", "2020-01-01", "--end", "2030-01-01", "--note", "pilot")

		require.Equal(t, "Updated window 1: user u1 has flag beta from 2020-01-01T00:00:00Z until 2031-06-01T00:00:00Z.\n"+
			"It takes effect at the next `waffle sync beta`.\n", c.ok("window", "update", "1", "--end", "2031-06-01"))
		var got windowJSON
		c.json(&got, "window", "update", "1", "--flag", "other", "--user", "u2", "--end", "never", "--json")
		require.Equal(t, "other", got.Flag)
		require.Equal(t, "u2", got.User)
		require.Nil(t, got.End)
		require.True(t, got.Active)

		m, err := c.s.GetWindow(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, "pilot", m.Note, "not given: kept")
		require.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), m.Start)
		require.Nil(t, m.End)

		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"window", "update"}, "missing arguments"},
			{2, []string{"window", "update", "x"}, `invalid window ID "x"`},
			{2, []string{"window", "update", "1", "--start", "soon"}, `--start: invalid time "soon"`},
			{1, []string{"window", "update", "9"}, "window"},
			{1, []string{"window", "update", "1", "--flag", "nope"}, `flag "nope" not found`},
			{1, []string{"window", "update", "1", "--end", "2019-01-01"}, "end"},
		} {
			require.Contains(t, c.fails(tc.code, tc.args...), tc.msg, "%q", tc.args)
		}
		after, err := c.s.GetWindow(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, m, after, "no failure changed the window")
	})
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Time{
		"2026-12-01":                  time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		"2026-12-01T09:00:00Z":        time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		"2026-12-01T10:00:00+01:00":   time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		"2026-12-01T09:00:00.123456Z": time.Date(2026, 12, 1, 9, 0, 0, 123456000, time.UTC),
		"2026-12-01T09:00:00.5-02:30": time.Date(2026, 12, 1, 11, 30, 0, 500000000, time.UTC),
	} {
		got, err := parseTime(in)
		require.NoError(t, err, in)
		require.True(t, want.Equal(got), "%s: %v", in, got)
		require.Equal(t, time.UTC, got.Location(), in)
	}
	for _, in := range []string{"", "2026-12-1", "12/01/2026", "2026-12-01T09:00", "2026-12-01T25:00:00Z", "now", "2026-12-01 "} {
		_, err := parseTime(in)
		require.Error(t, err, "%q", in)
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-12-01", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00+01:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		if err != nil {
			require.True(t, got.IsZero())
			return
		}
		require.Equal(t, time.UTC, got.Location())
		// What parses is an instant that prints and parses back the same.
		again, err := parseTime(got.Format(time.RFC3339Nano))
		require.NoError(t, err)
		require.True(t, got.Equal(again))
	})
}

// Deleting a flag deletes its windows and its WAFFLE_ group.
func TestDeleteFlagWithWindows(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.flags("a", "b")
		c.ok("window", "add", "a", "u1")
		c.ok("window", "add", "b", "u2")
		c.ok("sync")
		require.Equal(t, "Deleted 1 Flags\n", c.ok("delete", "--flag", "a"))
		ms, err := c.s.ListWindows(ctx, waffle.WindowFilter{})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.Equal(t, "b", ms[0].Flag)
		groups, err := c.s.ListGroups(ctx)
		require.NoError(t, err)
		require.Len(t, groups, 1)
		require.Equal(t, "WAFFLE_b", groups[0].Name)
	})
}
