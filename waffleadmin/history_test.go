package waffleadmin

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// historyRows returns the history page's rows as "actor action kind name".
func historyRows(body string) []string {
	var out []string
	re := regexp.MustCompile(`(?s)<td class="actor"><a [^>]*>([^<]*)</a></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td class="name">(?:<a [^>]*>)?([^<]*)`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, strings.TrimSpace(strings.Join(m[1:], " ")))
	}
	return out
}

// TestHistory changes objects through the admin as two actors and finds
// every change in the history, with its actor: overall, per object, per
// actor and per kind.
func TestHistory(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "/admin", true)
		e.actors["bob"] = Edit
		alice, bob := e.client(t, "alice"), e.client(t, "bob")
		alice.follow(alice.post("/flag/save", url.Values{"new": {"1"}, "name": {"beta"}, "everyone": {"on"}}))
		alice.follow(alice.post("/flag/users", url.Values{"name": {"beta"}, "users": {"u1"}}))
		bob.follow(bob.post("/switch/set", url.Values{"name": {"maintenance"}, "active": {"on"}}))
		bob.follow(bob.post("/sample/set", url.Values{"name": {"survey"}, "percent": {"5"}}))
		bob.follow(bob.post("/string/set", url.Values{"name": {"banner"}, "value": {"hi"}}))
		alice.follow(alice.post("/group/members", url.Values{"name": {"staff"}, "users": {"ann"}}))
		alice.follow(alice.post("/window/save", url.Values{"flag": {"beta"}, "user": {"cy"}}))

		r := alice.get("/history")
		require.Equal(t, http.StatusOK, r.Status)
		rows := historyRows(r.Body)
		for _, want := range []string{
			"alice create flag beta", "alice update flag beta", "bob create switch maintenance",
			"bob create sample survey", "bob create string_flag banner", "alice create window beta",
		} {
			require.Contains(t, rows, want, "%q", rows)
		}
		require.Contains(t, r.Body, "everyone: true")

		rows = historyRows(alice.get("/history?actor=bob").Body)
		require.Len(t, rows, 3, "%q", rows)
		for _, row := range rows {
			require.True(t, strings.HasPrefix(row, "bob "), row)
		}
		rows = historyRows(alice.get("/history?kind=flag&name=beta").Body)
		require.Equal(t, []string{"alice update flag beta", "alice create flag beta"}, rows)
		rows = historyRows(alice.get("/history?kind=switch").Body)
		require.Equal(t, []string{"bob create switch maintenance"}, rows)

		// The flag page links to its history.
		require.Contains(t, alice.get("/flag?name=beta").Body, `href="/admin/history?kind=flag&amp;name=beta"`)
	})
}

func TestHistoryPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		for i := range 120 {
			require.NoError(t, e.other.SetSwitch(waffle.WithActor(ctx(), "script"), fmt.Sprintf("s%03d", i), true))
		}
		c := e.client(t, "victor")
		r := c.get("/history")
		require.Len(t, historyRows(r.Body), 50)
		require.Contains(t, historyRows(r.Body)[0], "s119")
		m := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(r.Body)
		require.NotNil(t, m)
		r = c.get(strings.ReplaceAll(m[1], "&amp;", "&"))
		rows := historyRows(r.Body)
		require.Len(t, rows, 50)
		require.Contains(t, rows[0], "s069")
		e.counter.Reset()
		c.get("/history?actor=script")
		require.EqualValues(t, 1, e.counter.Count())
	})
}
