package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestGroup(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Equal(t, "NAME  MEMBERS  CREATED\n", c.ok("group", "list"))
		require.Equal(t, "[]\n", c.ok("group", "list", "--json"))

		require.Equal(t, "Group beta created\n", c.ok("group", "create", "beta"))
		require.Equal(t, "Group beta created\n", c.ok("group", "create", "beta"), "idempotent")
		require.Equal(t, "Added 3 users to group beta\n", c.ok("group", "add", "beta", "u1", "u2", "u3"))
		require.Equal(t, "Added 1 users to group alpha\n", c.ok("group", "add", "alpha", "u1"), "add creates the group")
		require.Equal(t, "Removed 2 users from group beta\n", c.ok("group", "remove", "beta", "u2", "nobody"))
		members, err := c.s.GroupMembers(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u1", "u3"}, members)

		out := lines(c.ok("group", "list"))
		require.Len(t, out, 3)
		require.Regexp(t, `^alpha\s+1\s+\S+Z$`, out[1])
		require.Regexp(t, `^beta\s+2\s+\S+Z$`, out[2])
		var js []groupJSON
		c.json(&js, "group", "list", "--json")
		require.Len(t, js, 2)
		require.Equal(t, []string{"u1", "u3"}, js[1].Members)

		require.Equal(t, "USER\nu1\nu3\n", c.ok("group", "list", "beta"))
		require.Equal(t, "[\n  \"u1\",\n  \"u3\"\n]\n", c.ok("group", "list", "beta", "--json"))
		require.Equal(t, "GROUP\nalpha\nbeta\n", c.ok("group", "list", "--user", "u1"))
		require.Equal(t, "[]\n", c.ok("group", "list", "--user", "nobody", "--json"))

		// A flag listing the group is on for its members.
		c.ok("flag", "f", "--create", "--group", "beta")
		on, err := c.s.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "u3"}), "f")
		require.NoError(t, err)
		require.True(t, on)

		require.Equal(t, "Group beta deleted\n", c.ok("group", "delete", "beta"))
		f, err := c.s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.Empty(t, f.Groups, "deleting a group takes it off its flags")
	})
}

func TestGroupErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("group", "create", "g")
		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"group"}, "give a subcommand"},
			{2, []string{"group", "rename", "g"}, `unknown subcommand "rename"`},
			{2, []string{"group", "add", "g"}, "missing arguments"},
			{2, []string{"group", "create"}, "missing arguments"},
			{2, []string{"group", "list", "g", "--user", "u"}, "not both"},
			{1, []string{"group", "create", "_g"}, `invalid group name "_g"`},
			{1, []string{"group", "create", "WAFFLE_x"}, "reserved"},
			{1, []string{"group", "add", "WAFFLE_x", "u"}, "reserved"},
			{1, []string{"group", "add", "g", "ok", "bad\nid"}, "user ID"},
			{1, []string{"group", "remove", "missing", "u"}, `group "missing" not found`},
			{1, []string{"group", "delete", "missing"}, `group "missing" not found`},
			{1, []string{"group", "list", "missing"}, `group "missing" not found`},
		} {
			require.Contains(t, c.fails(tc.code, tc.args...), tc.msg, "%q", tc.args)
		}
		members, err := c.s.GroupMembers(ctx, "g")
		require.NoError(t, err)
		require.Empty(t, members, "a bad ID in a batch writes none")
	})
}
