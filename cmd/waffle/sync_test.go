package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestSync(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.flags("beta", "gamma")
		c.ok("window", "add", "beta", "u1", "--start", "2020-01-01")
		c.ok("window", "add", "beta", "u1", "--start", "2020-01-01", "--end", "2020-06-01") // over; u1 counts once
		c.ok("window", "add", "beta", "u2", "--start", "2020-01-01", "--end", "2100-01-01")
		c.ok("window", "add", "beta", "u3", "--start", "2099-01-01")
		c.ok("window", "add", "gamma", "u4", "--start", "2020-01-01")

		out := lines(c.ok("sync"))
		require.Equal(t, []string{"FLAG   ACTIVE  ADDED  REMOVED  ERROR", "beta   2       2      0", "gamma  1       1      0"}, out)
		on, err := c.s.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "u2"}), "beta")
		require.NoError(t, err)
		require.True(t, on, "a synced window turns the flag on for its user")
		on, err = c.s.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "u3"}), "beta")
		require.NoError(t, err)
		require.False(t, on, "a window that has not started does not")

		require.Equal(t, []string{"FLAG  ACTIVE  ADDED  REMOVED  ERROR", "beta  2       0      0"}, lines(c.ok("sync", "beta")), "nothing changed")

		// A window deleted: the next sync removes its user.
		ms, err := c.s.ListWindows(ctx, waffle.WindowFilter{Flag: "beta", User: "u2"})
		require.NoError(t, err)
		c.ok("window", "delete", jsonNumber(ms[0].ID))
		var res syncJSON
		c.json(&res, "sync", "beta", "gamma", "--json")
		require.False(t, res.At.IsZero())
		require.Len(t, res.Flags, 2)
		require.Equal(t, flagSyncJSON{Flag: "beta", Active: 1, Added: 0, Removed: 1}, res.Flags[0])
		require.Equal(t, flagSyncJSON{Flag: "gamma", Active: 1}, res.Flags[1])
	})
}

// A flag that fails does not stop the others; the exit status is 1 and the
// table still shows every flag.
func TestSyncPartialFailure(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.flags("beta")
		c.ok("window", "add", "beta", "u1", "--start", "2020-01-01")
		r := c.run("sync", "nope", "beta")
		require.Equal(t, 1, r.code)
		require.ErrorIs(t, r.err, waffle.ErrNotFound)
		require.Equal(t, []string{
			"FLAG  ACTIVE  ADDED  REMOVED  ERROR",
			`nope  0       0      0        waffle: flag "nope" not found`,
			"beta  1       1      0",
		}, lines(r.stdout))
		require.Equal(t, "waffle: 1 of 2 flags failed to sync, the first: flag \"nope\" not found\n", r.stderr)

		r = c.run("sync", "--json", "_bad")
		require.Equal(t, 1, r.code)
		var res syncJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
		require.NotNil(t, res.Flags[0].Error)
		require.Contains(t, *res.Flags[0].Error, "invalid flag name")
	})
}

func jsonNumber(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}
