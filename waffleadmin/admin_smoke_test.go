package waffleadmin

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestSmoke(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "/admin/flags", true)
		c := e.client(t, "alice")
		r := c.post("/flag/save", url.Values{"new": {"1"}, "name": {"beta"}, "everyone": {"on"}, "percent": {"12.5"}})
		p := c.follow(r)
		require.Equal(t, 200, p.Status, p.Body)
		t.Log(p.Body)
		for _, path := range []string{"/flags", "/switches", "/samples", "/strings", "/groups", "/windows", "/history", "/flag/new", "/window"} {
			r := c.get(path)
			require.Equal(t, 200, r.Status, path+r.Body)
		}
	})
}
