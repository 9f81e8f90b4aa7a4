package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRun runs the example as `go run` does, on a fresh SQLite file, logs in
// through its demo hook and changes a switch.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", "", pw); _ = pw.Close() }()

	lines := bufio.NewScanner(pr)
	require.True(t, lines.Scan())
	m := regexp.MustCompile(`^waffle admin: (http://\S+/) `).FindStringSubmatch(lines.Text())
	require.NotNil(t, m, lines.Text())
	base := m[1]
	require.True(t, lines.Scan())
	require.Contains(t, lines.Text(), "for demos only")
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + strings.TrimPrefix(path, "/"))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, _ := get("/admin/flags")
	require.Equal(t, http.StatusForbidden, status, "not logged in")
	resp, err := client.PostForm(base+"login", url.Values{"name": {"demo-user"}})
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(b), "new-checkout")
	require.Contains(t, string(b), "demo-user")

	status, body := get("/admin/switches")
	require.Equal(t, http.StatusOK, status)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(body)[1]
	resp, err = client.PostForm(base+"admin/switch/set", url.Values{"name": {"maintenance"}, "active": {"on"}, "token": {token}})
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(b), "Turn off")

	cancel()
	require.NoError(t, <-done)
}
