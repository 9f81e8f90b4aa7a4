package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// The example's page follows changes made by another process: a second
// store, with its own connection pool on the same database, flips the flag
// and the switch, and the next page load shows it.
func TestExamplePageFollowsChanges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		store, err := waffle.New(db.Open(t), &waffle.Config{Cookie: waffle.CookieConfig{Insecure: true}, Rand: func() float64 { return 0.99 }})
		require.NoError(t, err)
		require.NoError(t, store.Migrate(ctx))
		require.NoError(t, setup(ctx, store))
		require.NoError(t, setup(ctx, store), "setup leaves existing objects alone")
		srv := httptest.NewServer(newHandler(store))
		t.Cleanup(srv.Close)
		// The server's own client: http.DefaultTransport's idle connections
		// are closed by every httptest.Server.Close of the tests running
		// beside this one, which can break a request in flight.
		client := srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		load := func(path string) (*http.Response, string) {
			t.Helper()
			resp, err := client.Get(srv.URL + path)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			return resp, string(body)
		}

		resp, body := load("/")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Contains(t, body, "<h1>Hello from waffle</h1>")
		require.Contains(t, body, `<p id="checkout">new-checkout: off</p>`) // the draw 99 >= 50
		require.Contains(t, body, `<p id="banner">`)
		require.Contains(t, body, `["new-checkout"]: false`)
		cookies := resp.Header.Values("Set-Cookie")
		require.Len(t, cookies, 1, "one cookie, though the page and its wafflejs both evaluate the flag")
		require.Regexp(t, `^dwf_new-checkout=False; Path=/; Expires=[^;]+; Max-Age=2592000$`, cookies[0])
		resp, _ = load("/beta")
		require.Equal(t, http.StatusFound, resp.StatusCode)
		require.Equal(t, "/", resp.Header.Get("Location"))

		// Another process turns the flag on for everyone and the banner off.
		other, err := waffle.New(db.Open(t), nil)
		require.NoError(t, err)
		f, err := other.GetFlag(ctx, "new-checkout")
		require.NoError(t, err)
		on := true
		f.Everyone = &on
		require.NoError(t, other.SaveFlag(ctx, f))
		require.NoError(t, other.SetSwitch(ctx, "banner", false))

		resp, body = load("/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, `<p id="checkout">new-checkout: on</p>`)
		require.NotContains(t, body, `<p id="banner">`)
		require.Contains(t, body, `["new-checkout"]: true`)
		resp, body = load("/beta")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "Welcome to the new checkout.\n", body)

		resp, body = load("/waffle_status")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, `"new-checkout":{"is_active":true`)
		require.Contains(t, body, `"banner":{"is_active":false`)
	})
}

// The testing query turns the flag on for one visitor, remembered in a
// cookie.
func TestExampleTestingMode(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		store, err := waffle.New(db.Open(t), &waffle.Config{Cookie: waffle.CookieConfig{Insecure: true}})
		require.NoError(t, err)
		require.NoError(t, store.Migrate(ctx))
		require.NoError(t, setup(ctx, store))
		srv := httptest.NewServer(newHandler(store))
		t.Cleanup(srv.Close)

		resp, err := srv.Client().Get(srv.URL + "/beta?dwft_new-checkout=1")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "Welcome to the new checkout.\n", string(body))
		require.Equal(t, []string{"dwft_new-checkout=True; Path=/"}, resp.Header.Values("Set-Cookie"))
	})
}
