package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/memprovider"
	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// benchEveryone is a flag on for everyone: decided by its definition.
const benchEveryone = "bench-everyone"

// startBenchSnapshot saves the flags the snapshot benchmarks read and
// starts d's snapshot, serving once it holds them.
func startBenchSnapshot(b *testing.B, d *benchDB) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	on := true
	require.NoError(b, d.store.SaveFlag(ctx, &waffle.Flag{Name: benchEveryone, Everyone: &on}))
	require.NoError(b, d.store.StartSnapshot(ctx))
	require.True(b, d.store.SnapshotStats().Serving)
}

// BenchmarkSnapshot measures reads served by the in-process snapshot
// (Store.StartSnapshot). op=FlagIsActive/case=Everyone: a flag on for
// everyone, for an identified user, beside the OpenFeature go-sdk's
// in-memory provider (memprovider, v1.20.0) answering the same flag
// through its client: no statement, no allocation on the library's side.
// op=Request/case=FlagsNN: a request through the middleware reading 1 or
// 30 flags with listed users and groups for an identified user: one
// statement for the user's memberships, the rest from memory; the
// difference over 29 is the cost of a flag.
func BenchmarkSnapshot(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		startBenchSnapshot(b, d)
		ctx := waffle.WithUser(benchCtx(b), waffle.User{ID: benchStranger, Authenticated: true})
		b.Run("op=FlagIsActive/case=Everyone", func(b *testing.B) {
			provider := memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{
				benchEveryone: {Key: benchEveryone, State: memprovider.Enabled, DefaultVariant: "on",
					Variants: map[string]any{"on": true, "off": false}},
			})
			require.NoError(b, openfeature.SetNamedProviderAndWait("waffle-bench", provider))
			client := openfeature.NewClient("waffle-bench")
			evalCtx := openfeature.NewEvaluationContext(benchStranger, map[string]any{"authenticated": true})
			benchImpls(b, true,
				impl[bool]{"Snapshot", func() (bool, error) { return d.store.FlagIsActive(ctx, benchEveryone) }},
				impl[bool]{"OpenFeatureMemprovider", func() (bool, error) {
					return client.BooleanValue(ctx, benchEveryone, false, evalCtx)
				}},
			)
		})
		for _, n := range []int{1, 30} {
			b.Run(fmt.Sprintf("op=Request/case=Flags%02d", n), func(b *testing.B) {
				names := benchNames(n, 0).Flags
				h := d.store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					ctx := waffle.WithUser(r.Context(), waffle.User{ID: benchGroupedUsr, Authenticated: true})
					for _, f := range names {
						if _, err := d.store.FlagIsActive(ctx, f); err != nil {
							b.Fatal(err)
						}
					}
				}))
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				b.ReportAllocs()
				for b.Loop() {
					h.ServeHTTP(httptest.NewRecorder(), r)
				}
			})
		}
	})
}

// EnvLatencyChild tells the test binary it runs as the latency benchmark's
// second process, on the database of EnvLatencyKind and EnvLatencyDSN.
const (
	EnvLatencyChild = "WAFFLE_LATENCY_CHILD"
	EnvLatencyKind  = "WAFFLE_LATENCY_KIND"
	EnvLatencyDSN   = "WAFFLE_LATENCY_DSN"
)

// latencyChanges is the number of changes BenchmarkChangeLatency makes.
const latencyChanges = 1000

// BenchmarkChangeLatency measures how long a change committed in one
// process takes to be served by another process with a running snapshot:
// this process sets a string flag to 1, 2, ... 1000; a second process (this
// test binary again) reads it in a loop, as an application does, and
// writes each new value to its standard output, then again (prefixed "s ")
// once its snapshot serves it. p50-ms and p99-ms are from the write's
// commit to the value read there: the snapshot learns of the change
// (NOTIFY on PostgreSQL, a poll every 10 ms on SQLite) and sends reads to
// the database until it has reloaded. reload-p50-ms and reload-p99-ms are
// to the snapshot serving the value from memory again.
func BenchmarkChangeLatency(b *testing.B) {
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind)+"/op=ChangeToVisible", func(b *testing.B) {
			db := testdb.New(b, kind)
			s := migratedStore(b, db.Open(b), nil)
			ctx := context.Background()
			require.NoError(b, s.Set(ctx, "latency", "0"))
			cmd := exec.Command(os.Args[0], "-test.run=^TestLatencyChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), EnvLatencyChild+"=1", EnvLatencyKind+"="+kind, EnvLatencyDSN+"="+db.DSN)
			out, err := cmd.StdoutPipe()
			require.NoError(b, err)
			cmd.Stderr = os.Stderr
			require.NoError(b, cmd.Start())
			b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			lines := bufio.NewScanner(out)
			require.True(b, lines.Scan())
			require.Equal(b, "ready", lines.Text())
			for b.Loop() {
				var seen, served []float64
				for i := 1; i <= latencyChanges; i++ {
					require.NoError(b, s.Set(ctx, "latency", i))
					committed := time.Now()
					want := strconv.Itoa(i)
					for lines.Scan() {
						if lines.Text() == want {
							seen = append(seen, float64(time.Since(committed).Microseconds())/1000)
						}
						if lines.Text() == "s "+want {
							served = append(served, float64(time.Since(committed).Microseconds())/1000)
							break
						}
					}
				}
				require.Len(b, seen, latencyChanges)
				require.Len(b, served, latencyChanges)
				slices.Sort(seen)
				slices.Sort(served)
				b.ReportMetric(seen[len(seen)/2], "p50-ms")
				b.ReportMetric(seen[len(seen)*99/100], "p99-ms")
				b.ReportMetric(seen[len(seen)-1], "max-ms")
				b.ReportMetric(served[len(served)/2], "reload-p50-ms")
				b.ReportMetric(served[len(served)*99/100], "reload-p99-ms")
			}
		})
	}
}

// TestLatencyChild is BenchmarkChangeLatency's second process; it does
// nothing in a normal test run.
func TestLatencyChild(t *testing.T) {
	if os.Getenv(EnvLatencyChild) == "" {
		t.Skip("run by BenchmarkChangeLatency")
	}
	db := &testdb.DB{Kind: os.Getenv(EnvLatencyKind), DSN: os.Getenv(EnvLatencyDSN)}
	s, err := waffle.New(db.Open(t), &waffle.Config{SnapshotPollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.StartSnapshot(ctx))
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "ready")
	require.NoError(t, w.Flush())
	last, lastServed := "", ""
	for {
		v, err := s.Get(ctx, "latency")
		require.NoError(t, err)
		if v.String() != last {
			last = v.String()
			fmt.Fprintln(w, last)
			require.NoError(t, w.Flush())
		}
		// Served from memory: the snapshot serves, and holds the value.
		if last != lastServed && s.SnapshotStats().Serving {
			if v, err := s.Get(ctx, "latency"); err == nil && v.String() == last && s.SnapshotStats().Serving {
				lastServed = last
				fmt.Fprintln(w, "s "+last)
				require.NoError(t, w.Flush())
			}
		}
		time.Sleep(50 * time.Microsecond)
	}
}
