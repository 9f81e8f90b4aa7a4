package waffleadmin

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// TestStatementsPerPage checks that each page sends a fixed number of
// statements, whatever the number of objects: listing 1,000 flags costs
// what listing 10 does, and so does a flag with 1,000 users.
func TestStatementsPerPage(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		c.get("/flag/new") // the session cookie
		seed := func(from, to int) {
			for i := from; i < to; i++ {
				n := fmt.Sprintf("f%04d", i)
				require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: n, Users: []string{"u" + n}, Groups: []string{"g"}}))
				require.NoError(t, e.other.SetSwitch(ctx(), n, i%2 == 0))
				require.NoError(t, e.other.SetSample(ctx(), n, 5))
				require.NoError(t, e.other.Set(ctx(), n, "v"))
				_, err := e.other.AddWindow(ctx(), waffle.FlagMember{Flag: n, User: "w" + n})
				require.NoError(t, err)
			}
		}
		var users []string
		addUsers := func(n int) {
			for i := len(users); i < n; i++ {
				users = append(users, fmt.Sprintf("user-%05d", i))
			}
			require.NoError(t, e.other.AddFlagUsers(ctx(), "f0000", users...))
			require.NoError(t, e.other.AddGroupMembers(ctx(), "g", users...))
		}
		pages := []string{"/flags", "/flags?q=f00&sort=modified&dir=desc&testing=no", "/flag?name=f0000", "/flag?name=f0000&uq=9",
			"/switches", "/samples", "/strings", "/groups", "/group?name=g", "/windows", "/windows?flag=f0001", "/flag/delete?name=f0001",
			"/history", "/history?kind=flag&name=f0001", "/history?actor=alice", "/window?id=1", "/flag/new"}
		count := func() map[string]int64 {
			out := map[string]int64{}
			for _, p := range pages {
				e.counter.Reset()
				r := c.get(p)
				require.Equal(t, http.StatusOK, r.Status, p)
				out[p] = e.counter.Count()
			}
			return out
		}
		seed(0, 10)
		addUsers(10)
		small := count()
		seed(10, 1000)
		addUsers(1000)
		large := count()
		require.Equal(t, small, large, "statements per page with 10 and with 1,000 objects")
		for p, n := range large {
			require.LessOrEqual(t, n, int64(3), p)
		}
		require.EqualValues(t, 1, large["/flags"])
		require.EqualValues(t, 3, large["/flag?name=f0000"])
		require.EqualValues(t, 1, large["/history"])
		require.EqualValues(t, 0, large["/flag/new"])
		t.Logf("statements per page: %v", large)
	})
}
