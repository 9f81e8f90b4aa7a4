package waffleadmin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// hostileNames are names that would inject markup if written unescaped.
var hostileNames = []string{
	"<script>alert(1)</script>",
	`"'><img src=x onerror=alert(1)>`,
	strings.Repeat("🧇", 255),
	"מתג-בטא \u202egnp.exe",
}

// TestEscaping stores every kind of object under hostile names and checks
// that every page shows them as text: no markup of theirs survives.
func TestEscaping(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		for _, name := range hostileNames {
			c.follow(c.post("/flag/save", url.Values{"new": {"1"}, "name": {name}, "note": {name}}))
			c.follow(c.post("/flag/users", url.Values{"name": {name}, "users": {"<b>" + string([]rune(name)[:min(len([]rune(name)), 200)])}}))
			c.follow(c.post("/switch/set", url.Values{"name": {name}}))
			c.follow(c.post("/sample/set", url.Values{"name": {name}, "percent": {"5"}}))
			c.follow(c.post("/string/set", url.Values{"name": {name}, "value": {name}}))
			c.follow(c.post("/group/create", url.Values{"name": {name}}))
			c.follow(c.post("/window/save", url.Values{"flag": {name}, "user": {name}}))
		}
		pages := []string{"/flags", "/switches", "/samples", "/strings", "/groups", "/windows", "/history"}
		for _, name := range hostileNames {
			q := url.QueryEscape(name)
			pages = append(pages, "/flag?name="+q, "/group?name="+q, "/windows?flag="+q, "/flag/delete?name="+q)
		}
		for _, p := range pages {
			r := c.get(p)
			require.Equal(t, http.StatusOK, r.Status, p)
			require.NotContains(t, r.Body, "<script>alert", p)
			require.NotContains(t, r.Body, "<img", p)
			require.NotContains(t, r.Body, "<b>", p)
			require.NotContains(t, r.Body, `"'>`, p)
		}
		r := c.get("/flags")
		require.Contains(t, r.Body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		require.Contains(t, r.Body, strings.Repeat("🧇", 255))
		require.Contains(t, r.Body, "מתג-בטא")
		// A bulk confirmation carries the names in hidden fields, escaped.
		r = c.post("/flags/bulk", url.Values{"action": {"on"}, "name": hostileNames})
		require.NotContains(t, r.Body, "<img")
		require.Contains(t, r.Body, `value="&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"`)
		c.follow(c.post("/flags/bulk", url.Values{"action": {"on"}, "name": hostileNames, "confirm": {"yes"}}))
		for _, name := range hostileNames {
			ok, err := e.other.FlagIsActive(ctx(), name)
			require.NoError(t, err)
			require.True(t, ok, name)
		}
	})
}

// TestMessagesAreFixed checks that the confirmation text cannot be chosen by
// a link.
func TestMessagesAreFixed(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := newEnv(t, db, "", false)
		c := e.client(t, "alice")
		require.NotContains(t, c.get("/flags?done=Your+account+is+locked").Body, "locked")
		require.Contains(t, c.get("/flags?done=saved").Body, "Saved.")
	})
}
