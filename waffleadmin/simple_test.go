package waffleadmin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestSwitches(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		p := c.follow(c.post("/switch/set", url.Values{"name": {"maintenance"}}))
		require.Contains(t, p.Body, "maintenance")
		require.Contains(t, p.Body, "Turn on")
		on := func() bool {
			ok, err := e.other.SwitchIsActive(ctx(), "maintenance")
			require.NoError(t, err)
			return ok
		}
		require.False(t, on())
		// The list's toggle: "Turn on" posts active=on, "Turn off" posts none.
		p = c.follow(c.post("/switch/set", url.Values{"name": {"maintenance"}, "active": {"on"}}))
		require.True(t, on())
		require.Contains(t, p.Body, "Turn off")
		c.follow(c.post("/switch/set", url.Values{"name": {"maintenance"}}))
		require.False(t, on())

		r := c.post("/switch/delete", url.Values{"name": {"maintenance"}})
		require.Contains(t, r.Body, "Delete this switch?")
		_, err := e.other.GetSwitch(ctx(), "maintenance")
		require.NoError(t, err)
		c.follow(c.post("/switch/delete", url.Values{"name": {"maintenance"}, "confirm": {"yes"}}))
		_, err = e.other.GetSwitch(ctx(), "maintenance")
		require.Error(t, err)
		require.Equal(t, http.StatusBadRequest, c.post("/switch/set", url.Values{"name": {""}}).Status)
	})
}

func TestSamples(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		c.follow(c.post("/sample/set", url.Values{"name": {"log-details"}, "percent": {"5"}}))
		p := c.follow(c.post("/sample/set", url.Values{"name": {"log-details"}, "percent": {"12.5"}}))
		require.Contains(t, p.Body, `value="12.5"`)
		s, err := e.other.GetSample(ctx(), "log-details")
		require.NoError(t, err)
		require.Equal(t, 12.5, s.Percent)
		for _, bad := range []string{"101", "-1", "x", ""} {
			require.Equal(t, http.StatusBadRequest, c.post("/sample/set", url.Values{"name": {"log-details"}, "percent": {bad}}).Status, bad)
		}
		s, err = e.other.GetSample(ctx(), "log-details")
		require.NoError(t, err)
		require.Equal(t, 12.5, s.Percent)
		c.follow(c.post("/sample/delete", url.Values{"name": {"log-details"}, "confirm": {"yes"}}))
		_, err = e.other.GetSample(ctx(), "log-details")
		require.Error(t, err)
	})
}

func TestStringFlags(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		p := c.follow(c.post("/string/set", url.Values{"name": {"banner"}, "value": {"Hello"}}))
		require.Contains(t, p.Body, `value="Hello"`)
		c.follow(c.post("/string/set", url.Values{"name": {"gone"}, "value": {"x"}, "null": {"on"}}))
		v, err := e.other.Get(ctx(), "banner")
		require.NoError(t, err)
		require.Equal(t, "Hello", v.String())

		p = c.follow(c.upload("/strings/import", "file", "flags.json", []byte(`{"banner": "Bye", "limit": 1.50, "beta": true}`)))
		require.Contains(t, p.Body, "Imported.")
		v, err = e.other.Get(ctx(), "limit")
		require.NoError(t, err)
		require.Equal(t, "1.50", v.String())
		r := c.upload("/strings/import", "file", "bad.json", []byte(`{"banner": "never", "x": {"nested": 1}}`))
		require.Equal(t, http.StatusBadRequest, r.Status)
		require.Contains(t, r.Body, "x")
		v, err = e.other.Get(ctx(), "banner")
		require.NoError(t, err)
		require.Equal(t, "Bye", v.String(), "a refused import writes nothing")

		r = c.get("/strings/export")
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var doc map[string]*string
		require.NoError(t, json.Unmarshal([]byte(r.Body), &doc))
		require.Equal(t, "Bye", *doc["banner"])
		require.Equal(t, "True", *doc["beta"])
		require.Contains(t, doc, "gone")
		require.Nil(t, doc["gone"])

		// The export loads back unchanged.
		c.follow(c.upload("/strings/import", "file", "back.json", []byte(r.Body)))
		require.Equal(t, r.Body, c.get("/strings/export").Body)

		c.follow(c.post("/string/delete", url.Values{"name": {"banner"}, "confirm": {"yes"}}))
		list, err := e.other.ListStringFlags(ctx())
		require.NoError(t, err)
		require.Len(t, list, 3)
	})
}

func TestGroups(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		p := c.follow(c.post("/group/create", url.Values{"name": {"staff"}}))
		require.Contains(t, p.Body, "Group <span class=\"name\">staff</span>")
		c.follow(c.post("/group/members", url.Values{"name": {"staff"}, "users": {"ann\nbob\ncy"}}))
		c.follow(c.post("/group/members", url.Values{"name": {"staff"}, "op": {"remove"}, "user": {"bob"}}))
		m, err := e.other.GroupMembers(ctx(), "staff")
		require.NoError(t, err)
		require.Equal(t, []string{"ann", "cy"}, m)
		require.Contains(t, c.get("/groups").Body, "staff")
		var many []string
		for i := range 60 {
			many = append(many, fmt.Sprintf("member-%03d", i))
		}
		c.follow(c.post("/group/members", url.Values{"name": {"staff"}, "users": {strings.Join(many, "\n")}}))
		r := c.get("/group?name=staff")
		require.Equal(t, 50, strings.Count(r.Body, `name="user" value=`))
		require.Contains(t, r.Body, `<span class="count">62</span>`)
		require.Contains(t, r.Body, `href="/group?after=member-047&amp;name=staff"`)
		r = c.get("/group?name=staff&after=member-047")
		require.Equal(t, 12, strings.Count(r.Body, `name="user" value=`))
		r = c.get("/group?name=staff&uq=member-05")
		require.Equal(t, 10, strings.Count(r.Body, `name="user" value=`))
		require.Equal(t, http.StatusBadRequest, c.post("/group/create", url.Values{"name": {"WAFFLE_x"}}).Status)
		require.Contains(t, c.post("/group/delete", url.Values{"name": {"staff"}}).Body, "Delete this group?")
		c.follow(c.post("/group/delete", url.Values{"name": {"staff"}, "confirm": {"yes"}}))
		_, err = e.other.GroupMembers(ctx(), "staff")
		require.Error(t, err)
		require.Equal(t, http.StatusNotFound, c.get("/group?name=staff").Status)
	})
}
