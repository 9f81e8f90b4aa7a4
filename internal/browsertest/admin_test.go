package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
	"github.com/gowaffle/waffle/waffleadmin"
)

// The admin's browser test: a real Chromium logs in through the
// authorization hook and uses the admin as an operator would, with its
// JavaScript on, while a second store checks what reached the database.

// adminServer serves the admin under /admin/ and a /login that sets the
// cookie the hook reads (a test hook: the actor is whoever the cookie says).
func adminServer(t *testing.T, s *waffle.Store) *httptest.Server {
	t.Helper()
	h, err := waffleadmin.New(s, waffleadmin.Config{
		Authorize: func(r *http.Request) (string, waffleadmin.Permission, error) {
			c, err := r.Cookie("test_actor")
			if err != nil {
				return "", 0, err
			}
			return c.Value, waffleadmin.Edit, nil
		},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "test_actor", Value: r.URL.Query().Get("as"), Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/admin/", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// tab is one browser tab on the admin.
type tab struct {
	t      *testing.T
	ctx    context.Context
	base   string
	dialog atomic.Int32
}

func newTab(browser context.Context, t *testing.T, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx, base: base}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			tb.dialog.Add(1)
		}
	}))
	return tb
}

func (tb *tab) open(path string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.Navigate(tb.base+path)), path)
}

func (tb *tab) eval(js string) any {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](js))
	require.NoError(tb.t, err, js)
	return v
}

// js runs a statement in the page.
func (tb *tab) js(stmt string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any]("(function(){"+stmt+"; return true})()"))
	require.NoError(tb.t, err, stmt)
}

// setValue sets a form field's value as typing would.
func (tb *tab) setValue(sel, value string) {
	tb.t.Helper()
	tb.js(fmt.Sprintf("document.querySelector(%s).value = %s", jsString(tb.t, sel), jsString(tb.t, value)))
}

// submit clicks the element sel (a submit button) and waits until the page
// that follows contains want.
func (tb *tab) submit(sel, want string) {
	tb.t.Helper()
	tb.js(fmt.Sprintf("document.body.setAttribute('data-old', '1'); document.querySelector(%s).click()", jsString(tb.t, sel)))
	tb.waitText(want)
}

// waitText waits until a newly loaded page's text contains want.
func (tb *tab) waitText(want string) {
	tb.t.Helper()
	cond := fmt.Sprintf("document.readyState === 'complete' && !document.body.hasAttribute('data-old') && document.body.innerText.includes(%s)", jsString(tb.t, want))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && v {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string]("document.body.innerText"))
	tb.t.Fatalf("the page never showed %q; it shows:\n%s", want, body)
}

func (tb *tab) text() string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string]("document.body.innerText"))
	require.NoError(tb.t, err)
	return s
}

// screenshot saves the page, whole, as name: into docs/images when
// WAFFLE_SCREENSHOTS=1 (how the README's images are made), else into the
// test's temporary directory.
func (tb *tab) screenshot(name string, width int64) {
	tb.t.Helper()
	dir := tb.t.TempDir()
	if os.Getenv("WAFFLE_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "..", "docs", "images")
	}
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(width, 900)))
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	require.NoError(tb.t, err)
	require.NoError(tb.t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
}

func isActive(t *testing.T, s *waffle.Store, name, user string) bool {
	t.Helper()
	ctx := context.Background()
	if user != "" {
		ctx = waffle.WithUser(ctx, waffle.User{ID: user})
	}
	ok, err := s.FlagIsActive(ctx, name)
	require.NoError(t, err)
	return ok
}

// seedDemo stores the flags the screenshots show.
func seedDemo(t *testing.T, s *waffle.Store) {
	t.Helper()
	ctx := context.Background()
	on, off := true, false
	pct := func(p float64) *float64 { return &p }
	for _, f := range []waffle.Flag{
		{Name: "checkout-v2", Everyone: &on, Note: "The new checkout, live for everyone"},
		{Name: "dark-mode", Percent: pct(25), Rollout: true, Note: "Rolling out to a quarter of visitors"},
		{Name: "search-suggestions", Testing: true, Staff: true, Note: "Staff and testers only"},
		{Name: "pricing-page-2027", Superusers: true, Note: "Draft prices"},
		{Name: "recommendations", Percent: pct(5), Languages: []string{"en", "de"}, Note: "Small test in two languages"},
		{Name: "legacy-export", Everyone: &off, Note: "Switched off after the incident"},
		{Name: "holiday-banner", Authenticated: true, Note: "Signed-in users"},
		{Name: "beta-dashboard", Users: []string{"ada", "grace", "linus", "margaret"}, Groups: []string{"beta-testers", "design"},
			Percent: pct(10), Testing: true, Note: "Early access for the beta group"},
	} {
		require.NoError(t, s.SaveFlag(ctx, &f))
	}
}

func TestAdminInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		check := newStore(t, db, nil) // the second store: another process
		require.NoError(t, check.Migrate(ctx))
		seedDemo(t, check)
		srv := adminServer(t, newStore(t, db, nil))
		tb := newTab(browser, t, srv.URL)

		// Log in through the hook.
		tb.open("/login?as=alice")
		tb.waitText("Flags")
		require.Contains(t, tb.text(), "alice")

		// Create a flag, add users and a group.
		const name = "browser-beta"
		tb.open("/admin/flag/new")
		tb.setValue("#f-name", name)
		tb.setValue("#f-note", "made in Chromium")
		tb.submit("form.edit button[type=submit]", "Saved.")
		tb.setValue("#add-users", "dana\nerin")
		tb.submit("#add-users ~ button", "Added.")
		require.Contains(t, tb.text(), "dana")
		tb.setValue("#add-groups", "beta-testers")
		tb.submit("#add-groups ~ button", "Added.")
		f, err := check.GetFlag(ctx, name)
		require.NoError(t, err)
		require.Equal(t, []string{"dana", "erin"}, f.Users)
		require.Equal(t, []string{"beta-testers"}, f.Groups)
		require.Equal(t, "made in Chromium", f.Note)

		// Switch everyone on: the second store sees it.
		require.False(t, isActive(t, check, name, ""))
		tb.js(`document.querySelector('input[name=everyone][value=on]').click()`)
		tb.submit("form.edit button[type=submit]", "Saved.")
		require.True(t, isActive(t, check, name, ""))

		// A bulk action from the list, with its confirmation page; the
		// "select all" box is the script's.
		tb.open("/admin/flags?q=browser")
		tb.js(`document.querySelector('input.check-all').click()`)
		require.Equal(t, true, tb.eval(`document.querySelector('input[name=name]').checked`))
		tb.setValue("select[name=action]", "off")
		tb.submit(".actions button", "This applies to 1 flag")
		require.True(t, isActive(t, check, name, ""), "nothing changes before the confirmation")
		tb.submit("form.confirm button", "The action was applied.")
		require.False(t, isActive(t, check, name, ""))

		// A time window, synced from its page: the member appears.
		tb.open("/admin/window?flag=" + name)
		tb.setValue("#w-user", "frank")
		tb.setValue("#w-start", "2020-01-01T00:00")
		tb.submit("form.edit button[type=submit]", "Saved.")
		require.Contains(t, tb.text(), "frank")
		tb.submit("form.inline button", "Members of WAFFLE_"+name)
		require.Contains(t, tb.eval(`document.querySelector('#sync-members').innerText`), "frank")
		members, err := check.GroupMembers(ctx, waffle.SyncGroupName(name))
		require.NoError(t, err)
		require.Equal(t, []string{"frank"}, members)

		// The history has each change, with its actor.
		tb.open("/admin/history?kind=flag&name=" + name)
		tb.waitText("History of " + name)
		rows := tb.eval(`[...document.querySelectorAll('#history tbody tr')].map(tr =>
			[...tr.querySelectorAll('td')].slice(1, 5).map(td => td.innerText.split('\n')[0].trim()).join(' '))`).([]any)
		var got []string
		for _, r := range rows {
			got = append(got, strings.TrimSuffix(r.(string), " history"))
		}
		// Newest first: the sync, the bulk off, everyone on, the group, the
		// users, the creation.
		require.Equal(t, []string{
			"alice sync flag " + name, "alice update flag " + name, "alice update flag " + name, "alice update flag " + name,
			"alice update flag " + name, "alice create flag " + name,
		}, got)
		tb.open("/admin/history?kind=window&actor=alice")
		tb.waitText("History")
		require.Contains(t, tb.text(), "frank")
		tb.open("/admin/history?actor=alice")
		tb.waitText("History")
		require.NotContains(t, tb.text(), "No changes recorded")

		// Screenshots: the list and a flag page, and both at phone width.
		if db.Kind == testdb.SQLite {
			tb.open("/admin/flags")
			tb.waitText("beta-dashboard")
			tb.screenshot("admin-flags.png", 1280)
			tb.screenshot("admin-flags-phone.png", 390)
			tb.open("/admin/flag?name=beta-dashboard")
			tb.waitText("grace")
			tb.screenshot("admin-flag.png", 1280)
			tb.screenshot("admin-flag-phone.png", 390)
			tb.open("/admin/history")
			tb.waitText("History")
			tb.screenshot("admin-history.png", 1280)
		}

		// Hostile names render as text: no dialog, no injected element.
		hostile := []string{
			"<script>alert(1)</script>",
			`"'><img src=x onerror=alert(1)>`,
			strings.Repeat("🧇", 255),
			"מתג-בטא \u202egnp.exe",
		}
		for _, n := range hostile {
			require.NoError(t, check.SaveFlag(ctx, &waffle.Flag{Name: n, Note: n, Users: []string{n}, Groups: []string{n}}))
			require.NoError(t, check.SetSwitch(ctx, n, true))
		}
		pages := []string{"/admin/flags", "/admin/switches", "/admin/groups"}
		for _, n := range hostile {
			pages = append(pages, "/admin/flag?name="+urlQuery(n))
		}
		for _, p := range pages {
			tb.open(p)
			got := tb.eval(`({imgs: document.querySelectorAll('img').length, scripts: document.scripts.length,
				inline: [...document.scripts].filter(s => !s.src).length, text: document.body.innerText})`).(map[string]any)
			require.EqualValues(t, 0, got["imgs"], p)
			require.EqualValues(t, 1, got["scripts"], p)
			require.EqualValues(t, 0, got["inline"], p)
			if p == "/admin/flags" || p == "/admin/switches" {
				for _, n := range hostile {
					require.Contains(t, got["text"], strings.TrimSpace(strings.ReplaceAll(n, "\u202e", "")[:10]), p)
				}
			}
		}
		require.Zero(t, tb.dialog.Load(), "a dialog opened")
	})
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20", "?", "%3F", "<", "%3C", ">", "%3E", `"`, "%22", "'", "%27").Replace(s)
}
