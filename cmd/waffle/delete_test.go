package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDeleteSwitches(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		for _, n := range []string{"a", "b", "c"} {
			require.NoError(t, c.s.SetSwitch(ctx, n, true))
		}
		out := c.ok("delete", "--switch", "a", "--switch", "nope", "--switch", "c")
		require.Equal(t, "Deleted 2 Switches\nNot found: switch \"nope\"\n", out)
		sws, err := c.s.ListSwitches(ctx)
		require.NoError(t, err)
		require.Len(t, sws, 1)
		require.Equal(t, "b", sws[0].Name)

		require.Equal(t, "Deleted 0 Switches\nNot found: switch \"a\"\n", c.ok("delete", "--switch", "a"))
	})
}

func TestDeleteInvalidNameDeletesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.NoError(t, c.s.SetSwitch(ctx, "a", true))
		line := c.fails(1, "delete", "--switch", "a", "--switch", "_bad")
		require.Contains(t, line, `invalid switch name "_bad"`)
		_, err := c.s.GetSwitch(ctx, "a")
		require.NoError(t, err, "names are checked before anything is deleted")
	})
}
