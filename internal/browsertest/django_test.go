package browsertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// TestDjangoAdminInBrowser: a real Chromium uses the admin on a Store in
// Django mode, over a database Django migrated and wrote: it edits a flag
// Django made, lists an auth_user on it and an auth_group, and Django reads
// the rows back and validates them.
func TestDjangoAdminInBrowser(t *testing.T) {
	t.Parallel()
	djangotest.Require(t)
	browser := newBrowser(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		p := djangotest.New(t, db, djangotest.Options{})
		p.Migrate(t)
		p.Run(t, "write", map[string]any{
			"users": []map[string]any{{"id": "7"}, {"id": "8"}},
			"flags": []map[string]any{{"name": "django-made", "note": "from Django", "users": []string{"8"}}},
		}, nil)
		cfg := &waffle.Config{Django: &waffle.DjangoConfig{}}
		s := newStore(t, db, cfg)
		require.NoError(t, s.Migrate(context.Background()))
		srv := adminServer(t, s)
		tb := newTab(browser, t, srv.URL)

		tb.open("/login?as=alice")
		tb.waitText("django-made")
		require.Contains(t, tb.text(), "from Django")

		tb.open("/admin/flag?name=django-made")
		tb.waitText("Flag django-made")
		require.Equal(t, "from Django", tb.eval(`document.querySelector('#f-note').value`))
		tb.setValue("#f-note", "edited in Chromium")
		tb.setValue("#f-percent", "12.5")
		tb.submit("form.edit button[type=submit]", "Saved.")
		tb.setValue("#add-users", "7")
		tb.submit("#add-users ~ button", "Added.")
		tb.setValue("#add-groups", "beta-testers")
		tb.submit("#add-groups ~ button", "Added.")
		tb.setValue("#f-percent", "100")
		tb.submit("form.edit button[type=submit]", "Django mode")

		var got struct {
			Flags []struct {
				Name    string   `json:"name"`
				Percent *string  `json:"percent"`
				Note    string   `json:"note"`
				Users   []string `json:"users"`
				Groups  []string `json:"groups"`
				Error   string   `json:"error"`
			} `json:"flags"`
		}
		p.Run(t, "read", struct{}{}, &got)
		require.Len(t, got.Flags, 1)
		f := got.Flags[0]
		require.Empty(t, f.Error)
		require.Equal(t, "edited in Chromium", f.Note)
		require.Equal(t, "12.5", *f.Percent, "the refused 100 changed nothing")
		require.Equal(t, []string{"7", "8"}, f.Users)
		require.Equal(t, []string{"beta-testers"}, f.Groups)
	})
}
