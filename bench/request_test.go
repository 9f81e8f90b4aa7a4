package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// BenchmarkRequest measures whole HTTP requests through the middleware on
// PostgreSQL, from 16 clients at once over loopback: an identified user
// with groups, whose handler reads N flags and 2 switches. impl=PerName
// reads each name with its own call (one statement each); impl=Batch
// declares the names with Needs, so the first read fetches them all in one
// statement. ns/op is the inverse of the throughput.
func BenchmarkRequest(b *testing.B) {
	d := newBenchDB(b, testdb.Postgres, nil)
	d.seed(b)
	for _, n := range []int{1, 10, 30} {
		names := benchNames(n, 2)
		read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := waffle.WithUser(r.Context(), waffle.User{ID: benchGroupedUsr, Authenticated: true,
				Groups: []string{"staff", "beta-testers"}})
			on := 0
			for _, f := range names.Flags {
				active, err := d.store.FlagIsActive(ctx, f)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				if active {
					on++
				}
			}
			for _, s := range names.Switches {
				active, err := d.store.SwitchIsActive(ctx, s)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				if active {
					on++
				}
			}
			_, _ = io.WriteString(w, strconv.Itoa(on))
		})
		perName := httptest.NewServer(d.store.Middleware(read))
		batch := httptest.NewServer(d.store.Needs(names)(read))
		b.Cleanup(perName.Close)
		b.Cleanup(batch.Close)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchReaders * 2}}
		get := func(url string) func() (string, error) {
			return func() (string, error) { return httpGet(b.Context(), client, url) }
		}
		want, err := get(perName.URL)()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("db=Postgres/op=Request/case=Flags%02d/clients=16", n), func(b *testing.B) {
			benchParallel(b, benchReaders, want,
				impl[string]{"PerName", get(perName.URL)},
				impl[string]{"Batch", get(batch.URL)},
			)
		})
	}
}

// httpGet returns the body of a GET of url, failing on a status other than
// 200.
func httpGet(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return string(body), nil
}
