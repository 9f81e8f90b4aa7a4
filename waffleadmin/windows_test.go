package waffleadmin

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

func TestWindows(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		require.NoError(t, e.other.SaveFlag(ctx(), &waffle.Flag{Name: "beta"}))
		c := e.client(t, "alice")
		r := c.get("/window?flag=beta")
		require.Contains(t, r.Body, `type="datetime-local"`)
		require.Contains(t, r.Body, "Start (UTC)")

		// An active window, and one in the future.
		p := c.follow(c.post("/window/save", url.Values{"flag": {"beta"}, "user": {"ann"}, "start": {"2020-01-01T00:00"}, "note": {"trial"}}))
		require.Contains(t, p.Body, "trial")
		c.follow(c.post("/window/save", url.Values{"flag": {"beta"}, "user": {"bob"}, "start": {"2999-01-01T09:30"}, "end": {"2999-02-01T09:30"}}))
		ws, err := e.other.ListWindows(ctx(), waffle.WindowFilter{Flag: "beta"})
		require.NoError(t, err)
		require.Len(t, ws, 2)
		require.Equal(t, time.Date(2999, 1, 1, 9, 30, 0, 0, time.UTC), ws[1].Start)
		require.Nil(t, ws[0].End)

		// The list, per flag and per user.
		r = c.get("/windows?flag=beta")
		require.Contains(t, r.Body, "2999-01-01 09:30")
		r = c.get("/windows?user=bob")
		require.Contains(t, r.Body, "2999-02-01 09:30")
		require.NotContains(t, r.Body, "trial")

		// Validation: an end before the start, kept as typed.
		r = c.post("/window/save", url.Values{"flag": {"beta"}, "user": {"cy"}, "start": {"2030-01-01T00:00"}, "end": {"2029-01-01T00:00"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
		require.Contains(t, r.Body, `value="2029-01-01T00:00"`)
		require.Contains(t, r.Body, `class="field invalid"`)
		r = c.post("/window/save", url.Values{"flag": {"beta"}, "user": {"cy"}, "start": {"soon"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
		require.Contains(t, r.Body, "expected a date and time")
		r = c.post("/window/save", url.Values{"flag": {"nope"}, "user": {"cy"}})
		require.Equal(t, http.StatusBadRequest, r.Status)

		// Sync now: ann is active, bob not yet.
		r = c.post("/flag/sync", url.Values{"name": {"beta"}})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Contains(t, r.Body, `<dd id="sync-added">1</dd>`)
		require.Regexp(t, `id="sync-members"><li>ann</li></ul>`, r.Body)
		// The flag page lists the sync's group, without a remove box.
		r = c.get("/flag?name=beta")
		require.Contains(t, r.Body, `WAFFLE_beta <span class="tag">time windows</span>`)
		require.NotContains(t, r.Body, `name="group" value="WAFFLE_beta"`)
		ok, err := e.other.FlagIsActive(waffle.WithUser(ctx(), waffle.User{ID: "ann"}), "beta")
		require.NoError(t, err)
		require.True(t, ok)

		// Edit bob's window to start in the past, sync again.
		id := strconv.FormatInt(ws[1].ID, 10)
		r = c.get("/window?id=" + id)
		require.Contains(t, r.Body, `value="2999-01-01T09:30"`)
		c.follow(c.post("/window/save", url.Values{"id": {id}, "flag": {"beta"}, "user": {"bob"}, "start": {"2020-06-01T00:00"}, "end": {""}}))
		r = c.post("/flag/sync", url.Values{"name": {"beta"}})
		require.Regexp(t, `id="sync-members"><li>ann</li><li>bob</li></ul>`, r.Body)

		// Delete with a confirmation.
		r = c.get("/window/delete?id=" + id)
		require.Contains(t, r.Body, "Delete this time window?")
		c.follow(c.post("/window/delete", url.Values{"id": {id}, "flag": {"beta"}}))
		_, err = e.other.GetWindow(ctx(), ws[1].ID)
		require.Error(t, err)
		require.Equal(t, http.StatusNotFound, c.get("/window?id="+id).Status)
		require.Equal(t, http.StatusNotFound, c.post("/flag/sync", url.Values{"name": {"nope"}}).Status)
	})
}

// TestWindowLocation checks that Config.Location is shown and used to read
// and write the date-time inputs.
func TestWindowLocation(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, testdb.SQLite)
	s, err := waffle.New(db.Open(t), nil)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx()))
	require.NoError(t, s.SaveFlag(ctx(), &waffle.Flag{Name: "beta"}))
	tokyo := time.FixedZone("Asia/Tokyo", 9*3600)
	h, err := New(s, Config{Location: tokyo, Logger: slog.New(slog.DiscardHandler),
		Authorize: func(*http.Request) (string, Permission, error) { return "alice", Edit, nil }})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := &env{srv: srv, store: s, other: s}
	c := e.client(t, "")
	r := c.get("/window?flag=beta")
	require.Contains(t, r.Body, "Asia/Tokyo (UTC&#43;09:00)")
	c.follow(c.post("/window/save", url.Values{"flag": {"beta"}, "user": {"ann"}, "start": {"2030-01-01T09:00"}}))
	ws, err := s.ListWindows(ctx(), waffle.WindowFilter{})
	require.NoError(t, err)
	require.Equal(t, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ws[0].Start.UTC())
	require.Contains(t, c.get("/windows").Body, "2030-01-01 09:00")
}
