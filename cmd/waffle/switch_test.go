package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestSwitch(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {

		line := c.fails(1, "switch", "checkout", "on")
		require.Equal(t, `waffle: switch "checkout" does not exist (add --create to create it)`, line)
		_, err := c.s.GetSwitch(ctx, "checkout")
		require.ErrorIs(t, err, waffle.ErrNotFound, "nothing created")

		require.Equal(t, "Creating switch: checkout\nSwitch checkout: on\n", c.ok("switch", "checkout", "on", "--create"))
		on, err := c.s.SwitchIsActive(ctx, "checkout")
		require.NoError(t, err)
		require.True(t, on)

		require.Equal(t, "Switch checkout: off\n", c.ok("switch", "checkout", "off"))
		on, err = c.s.SwitchIsActive(ctx, "checkout")
		require.NoError(t, err)
		require.False(t, on)

		require.Equal(t, "Switch checkout: on\n", c.ok("switch", "checkout", "on", "--create"), "--create on an existing switch just sets it")

		// Showing one switch.
		out := c.ok("switch", "checkout")
		require.Regexp(t, `^NAME\s+ACTIVE\s+MODIFIED\s+NOTE\ncheckout\s+on\s+\S+Z\n$`, out)
		var sw waffle.Switch
		c.json(&sw, "switch", "checkout", "--json")
		require.Equal(t, "checkout", sw.Name)
		require.True(t, sw.Active)
		require.Contains(t, c.fails(1, "switch", "nope"), `switch "nope" does not exist`)
	})
}

func TestSwitchKeepsNote(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.NoError(t, waffle.Save(ctx, c.s, &waffle.Switch{Name: "sw", Note: "line one\nline\ttwo"}))
		c.ok("switch", "sw", "on")
		sw, err := c.s.GetSwitch(ctx, "sw")
		require.NoError(t, err)
		require.True(t, sw.Active)
		require.Equal(t, "line one\nline\ttwo", sw.Note, "the command changes only the state")
		out := c.ok("switch", "--list")
		require.Len(t, lines(out), 2, "a note with a newline is quoted, not split over lines:\n%s", out)
		require.Contains(t, out, `"line one\nline\ttwo"`)
	})
}

func TestSwitchList(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Equal(t, "NAME  ACTIVE  MODIFIED  NOTE\n", c.ok("switch", "--list"))
		require.Equal(t, "[]\n", c.ok("switch", "--list", "--json"))

		long := strings.Repeat("ü", 255)
		c.ok("switch", "b", "off", "--create")
		c.ok("switch", "a", "on", "--create")
		c.ok("switch", long, "on", "--create")
		out := lines(c.ok("switch", "--list"))
		require.Len(t, out, 4)
		require.Regexp(t, `^a\s+on\s+`, out[1])
		require.Regexp(t, `^b\s+off\s+`, out[2])
		require.True(t, strings.HasPrefix(out[3], long+"  on  "))
		// Aligned: every ACTIVE column starts at the same rune.
		col := strings.Index(out[0], "ACTIVE")
		require.Equal(t, col, len([]rune(out[0][:col])))
		for _, l := range out[1:] {
			r := []rune(l)
			require.Contains(t, []string{"on", "of"}, string(r[col:col+2]), l)
		}

		var js []waffle.Switch
		c.json(&js, "switch", "--list", "--json")
		require.Len(t, js, 3)
		require.Equal(t, []string{"a", "b", long}, []string{js[0].Name, js[1].Name, js[2].Name})
		require.Equal(t, []bool{true, false, true}, []bool{js[0].Active, js[1].Active, js[2].Active})
	})
}

func TestSwitchErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		for _, tc := range []struct {
			name string
			code int
			args []string
			msg  string
		}{
			{"BadState", 2, []string{"switch", "x", "yes", "--create"}, `invalid state "yes" (want on or off)`},
			{"NoName", 2, []string{"switch"}, "give a switch name and a state, or --list"},
			{"CreateWithoutState", 2, []string{"switch", "x", "--create"}, "give a state (on or off) with --create"},
			{"ListWithName", 2, []string{"switch", "--list", "x"}, "--list takes no name"},
			{"InvalidName", 1, []string{"switch", "_x", "on", "--create"}, `invalid switch name "_x": must not start with "_"`},
			{"TooLong", 1, []string{"switch", strings.Repeat("a", 256), "on", "--create"}, "must be at most 255 characters"},
			{"Reserved", 1, []string{"switch", "set_from_json", "on", "--create"}, "is reserved"},
		} {
			line := c.fails(tc.code, tc.args...)
			require.Contains(t, line, tc.msg, tc.name)
		}
		sws, err := c.s.ListSwitches(ctx)
		require.NoError(t, err)
		require.Empty(t, sws, "no failure wrote anything")
	})
}
