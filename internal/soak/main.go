// Command soak runs the restart soak of `make soak` (scripts/soak starts the
// servers): mixed reads, writes, SetFromJSON and membership syncs from four
// worker processes (two through PgBouncer, two straight to PostgreSQL) while
// PostgreSQL is restarted twice and PgBouncer once, then a report:
// operations, errors by kind, p50/p99 latency, whether every acknowledged
// write is there, and whether any batch or sync was seen torn.
//
// Writes that fail are retried with the same arguments until they are
// acknowledged (they are idempotent): a failed COMMIT may or may not have
// committed, and the retry makes the outcome certain.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gowaffle/waffle"
)

const (
	workers     = 4
	goroutines  = 4
	batchSize   = 50
	opTimeout   = 5 * time.Second
	syncFlags   = 2
	windowEvery = time.Second      // a window starts every second...
	windowLen   = 20 * time.Second // ...and lasts 20: at most 21 members
)

func main() {
	worker := flag.Int("worker", -1, "run as worker N (internal)")
	out := flag.String("out", "", "worker: where to write its result (internal)")
	until := flag.Int64("until", 0, "worker: stop at this Unix time in ms (internal)")
	epoch := flag.Int64("epoch", 0, "worker: the windows' first start, Unix ms (internal)")
	flag.Parse()
	var err error
	if *worker >= 0 {
		err = runWorker(*worker, *out, time.UnixMilli(*until), time.UnixMilli(*epoch))
	} else {
		err = orchestrate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Fprintf(os.Stderr, "soak: %s is not set (run `make soak`)\n", name)
		os.Exit(2)
	}
	return v
}

func open(dsn string, bouncer bool) (*waffle.Store, *gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		return nil, nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, nil, err
	}
	sqlDB.SetMaxOpenConns(goroutines + 2)
	sqlDB.SetConnMaxLifetime(time.Minute)
	s, err := waffle.New(db, &waffle.Config{DisablePreparedStatements: bouncer})
	return s, db, err
}

// ---------------------------------------------------------------------------
// The orchestrator.

func orchestrate() error {
	duration, err := soakDuration()
	if err != nil {
		return err
	}
	direct := env("WAFFLE_TEST_POSTGRES_DSN")
	env("WAFFLE_TEST_PGBOUNCER_DSN")
	pgData, pgBin := env("WAFFLE_PG_DATA"), env("WAFFLE_PG_BIN")
	bouncerIni, bouncerPid := env("WAFFLE_PGBOUNCER_INI"), env("WAFFLE_PGBOUNCER_PIDFILE")

	ctx := context.Background()
	s, _, err := open(direct, false)
	if err != nil {
		return err
	}
	epoch, err := seed(ctx, s, duration)
	if err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "waffle-soak.")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	began := time.Now()
	end := began.Add(duration)
	fmt.Fprintf(os.Stderr, "soak: %d workers for %s (until %s)\n", workers, duration, end.UTC().Format(time.TimeOnly))
	var procs []*exec.Cmd
	for w := range workers {
		cmd := exec.Command(self, "-worker", strconv.Itoa(w), "-out", filepath.Join(dir, fmt.Sprintf("%d.json", w)),
			"-until", strconv.FormatInt(end.UnixMilli(), 10), "-epoch", strconv.FormatInt(epoch.UnixMilli(), 10))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
	}

	var events []string
	restart := func(at float64, what string, fn func() error) {
		time.Sleep(time.Until(began.Add(time.Duration(at * float64(duration)))))
		t0 := time.Now()
		err := fn()
		line := fmt.Sprintf("%s at %s: %s", what, t0.Sub(began).Round(time.Second), time.Since(t0).Round(time.Millisecond))
		if err != nil {
			line += " FAILED: " + err.Error()
		}
		fmt.Fprintln(os.Stderr, "soak:", line)
		events = append(events, line)
	}
	restart(0.25, "PostgreSQL restart (pg_ctl restart -m fast)", func() error { return pgRestart(pgBin, pgData) })
	restart(0.45, "PgBouncer restart (SIGTERM, start again)", func() error { return bouncerRestart(bouncerIni, bouncerPid) })
	restart(0.65, "PostgreSQL restart (pg_ctl restart -m fast)", func() error { return pgRestart(pgBin, pgData) })

	var failed []string
	for w, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			failed = append(failed, fmt.Sprintf("worker %d: %v", w, err))
		}
	}
	elapsed := time.Since(began)

	var results []result
	for w := range workers {
		var r result
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.json", w)))
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("worker %d result: %v", w, err))
			continue
		}
		results = append(results, r)
	}
	checks, err := verify(ctx, s, results)
	if err != nil {
		return err
	}
	report := render(duration, elapsed, events, results, checks, failed)
	fmt.Print(report)
	if path := os.Getenv("SOAK_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			return err
		}
	}
	if len(failed) > 0 || !checks.ok() {
		return errors.New("the soak found problems (see the report)")
	}
	return nil
}

// soakDuration is SOAK_DURATION, 10 minutes by default.
func soakDuration() (time.Duration, error) {
	d := os.Getenv("SOAK_DURATION")
	if d == "" {
		return 10 * time.Minute, nil
	}
	duration, err := time.ParseDuration(d)
	if err != nil {
		return 0, fmt.Errorf("SOAK_DURATION: %w", err)
	}
	return duration, nil
}

// seed migrates the database and writes the flags the workers read and the
// windows they sync, and returns the windows' epoch.
func seed(ctx context.Context, s *waffle.Store, duration time.Duration) (time.Time, error) {
	if err := s.Migrate(ctx); err != nil {
		return time.Time{}, err
	}
	percent := 50.0
	for i := range 20 {
		if err := s.SaveFlag(ctx, &waffle.Flag{Name: fmt.Sprintf("read-%02d", i), Percent: &percent}); err != nil {
			return time.Time{}, err
		}
	}
	epoch := time.Now().Add(-windowLen)
	users := int((duration+2*windowLen)/windowEvery) + 1
	for f := range syncFlags {
		name := fmt.Sprintf("sync-%d", f)
		if err := s.SaveFlag(ctx, &waffle.Flag{Name: name}); err != nil {
			return time.Time{}, err
		}
		for u := range users {
			start := epoch.Add(time.Duration(u) * windowEvery)
			end := start.Add(windowLen)
			if _, err := s.AddWindow(ctx, waffle.FlagMember{Flag: name, User: userID(u), Start: start, End: &end}); err != nil {
				return time.Time{}, err
			}
		}
	}
	return epoch, nil
}

func userID(u int) string { return fmt.Sprintf("u%05d", u) }

// asPostgres runs a server command as the postgres OS user when root.
func asPostgres(name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = "/"
	return cmd
}

// pgRestart restarts the server of scripts/with-postgres, logging to its
// log file (beside the data directory). Not CombinedOutput: the new server
// would keep the pipes open and the call would never return.
func pgRestart(bin, data string) error {
	log := filepath.Join(filepath.Dir(data), "log")
	if err := asPostgres(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "-t", "60", "restart").Run(); err != nil {
		return fmt.Errorf("pg_ctl restart: %w (see %s)", err, log)
	}
	return nil
}

func bouncerRestart(ini, pidfile string) error {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	if err := p.Signal(sigterm); err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	bouncer, err := exec.LookPath("pgbouncer")
	if err != nil {
		bouncer = "/usr/sbin/pgbouncer"
	}
	// Not CombinedOutput: the daemon keeps the pipes open and the call would
	// never return. PgBouncer logs to its own file.
	if err := asPostgres(bouncer, "-d", "-q", ini).Run(); err != nil {
		return fmt.Errorf("starting pgbouncer again: %w", err)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Workers.

// result is what a worker reports.
type result struct {
	Worker   int
	Bouncer  bool
	Ops      map[string]int     // acknowledged operations by kind
	Errors   map[string]int     // failed attempts by error kind
	Latency  map[string][]int64 // microseconds of acknowledged operations, by kind
	Sets     map[string]string  // acknowledged Set calls: name -> value
	Batches  []string           // acknowledged SetFromJSON batches (prefix of their keys)
	Torn     []string           // sync groups seen torn
	Retried  int                // writes that needed more than one attempt
	GaveUp   int                // writes never acknowledged (ran out of time)
	Observed int                // sync groups read and checked
}

func runWorker(w int, out string, until, epoch time.Time) error {
	bouncer := w%2 == 0
	dsn := os.Getenv("WAFFLE_TEST_POSTGRES_DSN")
	if bouncer {
		dsn = os.Getenv("WAFFLE_TEST_PGBOUNCER_DSN")
	}
	s, _, err := open(dsn, bouncer)
	if err != nil {
		return err
	}
	r := &result{Worker: w, Bouncer: bouncer, Ops: map[string]int{}, Errors: map[string]int{},
		Latency: map[string][]int64{}, Sets: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(g)))
			seq := 0
			for time.Now().Before(until) {
				seq++
				key := fmt.Sprintf("w%d-g%d-%06d", w, g, seq)
				switch p := rng.IntN(100); {
				case p < 60:
					name := fmt.Sprintf("read-%02d", rng.IntN(20))
					attempt(r, &mu, "read", until, false, func(ctx context.Context) error {
						_, err := s.FlagIsActive(ctx, name)
						return err
					})
				case p < 70:
					attempt(r, &mu, "get", until, false, func(ctx context.Context) error {
						_, err := s.Get(ctx, fmt.Sprintf("w%d-g%d-%06d", w, g, max(1, seq-1)))
						return err
					})
				case p < 85:
					value := strconv.Itoa(seq)
					if attempt(r, &mu, "set", until, true, func(ctx context.Context) error { return s.Set(ctx, key, value) }) {
						mu.Lock()
						r.Sets[key] = value
						mu.Unlock()
					}
				case p < 92:
					blob := batch(key)
					if attempt(r, &mu, "set_from_json", until, true, func(ctx context.Context) error { return s.SetFromJSON(ctx, blob) }) {
						mu.Lock()
						r.Batches = append(r.Batches, key)
						mu.Unlock()
					}
				case p < 96:
					attempt(r, &mu, "sync", until, true, func(ctx context.Context) error {
						res, err := s.SyncMembership(ctx, "sync-0", "sync-1")
						if err != nil {
							return err
						}
						for _, f := range res.Flags {
							if f.Err != nil {
								return f.Err
							}
						}
						return nil
					})
				default:
					flag := fmt.Sprintf("sync-%d", rng.IntN(syncFlags))
					var members []string
					if attempt(r, &mu, "members", until, false, func(ctx context.Context) error {
						var err error
						members, err = s.GroupMembers(ctx, waffle.SyncGroupName(flag))
						if errors.Is(err, waffle.ErrNotFound) {
							members, err = nil, nil // not synced yet
						}
						return err
					}) {
						mu.Lock()
						r.Observed++
						if why := tornSync(members, epoch); why != "" {
							r.Torn = append(r.Torn, flag+": "+why)
						}
						mu.Unlock()
					}
				}
				time.Sleep(time.Duration(1+rng.IntN(3)) * time.Millisecond)
			}
		})
	}
	wg.Wait()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// batch returns a SetFromJSON document of batchSize keys prefix-NN.
func batch(prefix string) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := range batchSize {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q: %q", fmt.Sprintf("%s-%02d", prefix, i), prefix)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// attempt runs op until it succeeds (write) or once (read), recording
// errors by kind and the latency of the attempt that succeeded. It reports
// whether op was acknowledged.
func attempt(r *result, mu *sync.Mutex, kind string, until time.Time, retry bool, op func(ctx context.Context) error) bool {
	tries := 0
	for {
		tries++
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		t0 := time.Now()
		err := op(ctx)
		lat := time.Since(t0)
		cancel()
		mu.Lock()
		if err == nil {
			r.Ops[kind]++
			r.Latency[kind] = append(r.Latency[kind], lat.Microseconds())
			if tries > 1 {
				r.Retried++
			}
			mu.Unlock()
			return true
		}
		r.Errors[kind+": "+errorKind(err)]++
		mu.Unlock()
		if !retry {
			return false
		}
		if time.Now().After(until.Add(time.Minute)) {
			mu.Lock()
			r.GaveUp++
			mu.Unlock()
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var sqlState = regexp.MustCompile(`\(SQLSTATE ([0-9A-Z]{5})\)`)

// errorKind names the kind of a failed attempt.
func errorKind(err error) string {
	msg := err.Error()
	if m := sqlState.FindStringSubmatch(msg); m != nil {
		text := msg
		for _, severity := range []string{"FATAL: ", "ERROR: "} {
			if i := strings.LastIndex(msg, severity); i >= 0 {
				text = msg[i+len(severity):]
				break
			}
		}
		text, _, _ = strings.Cut(text, " (SQLSTATE")
		return "SQLSTATE " + m[1] + " " + truncate(text, 70)
	}
	for _, k := range []string{
		"connection refused", "unexpected EOF", "connection reset by peer", "broken pipe",
		"context deadline exceeded", "server closed the connection", "conn closed", "bad connection",
		"failed to connect", "i/o timeout",
	} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	return truncate(msg, 80)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// tornSync reports why members cannot be a sync group's state at any one
// instant: user i's window is [epoch+i*windowEvery, +windowLen), so the
// users active at one instant are consecutive and at most
// windowLen/windowEvery+1 of them.
func tornSync(members []string, epoch time.Time) string {
	if len(members) == 0 {
		return ""
	}
	idx := make([]int, 0, len(members))
	for _, m := range members {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "u"))
		if err != nil {
			return "unexpected member " + m
		}
		idx = append(idx, n)
	}
	sort.Ints(idx)
	if idx[len(idx)-1]-idx[0]+1 != len(idx) {
		return fmt.Sprintf("members not consecutive: %v", idx)
	}
	if max := int(windowLen/windowEvery) + 1; len(idx) > max {
		return fmt.Sprintf("%d members, at most %d are active at once", len(idx), max)
	}
	return ""
}

// ---------------------------------------------------------------------------
// Verification and report.

type checks struct {
	setsAcked, setsMissing       int
	batchesAcked, batchesMissing int
	batchesTorn, batchesChecked  int
	syncTorn, syncObserved       int
	finalSync                    string
	missing                      []string
}

func (c checks) ok() bool {
	return c.setsMissing == 0 && c.batchesMissing == 0 && c.batchesTorn == 0 && c.syncTorn == 0 && c.finalSync == "ok"
}

func verify(ctx context.Context, s *waffle.Store, results []result) (checks, error) {
	var c checks
	stored := map[string]string{}
	list, err := s.ListStringFlags(ctx)
	if err != nil {
		return c, err
	}
	for _, f := range list {
		if f.Value != nil {
			stored[f.Name] = *f.Value
		}
	}
	for _, r := range results {
		for k, v := range r.Sets {
			c.setsAcked++
			if stored[k] != v {
				c.setsMissing++
				c.missing = append(c.missing, k)
			}
		}
		for _, prefix := range r.Batches {
			c.batchesAcked++
			n := 0
			for i := range batchSize {
				if stored[fmt.Sprintf("%s-%02d", prefix, i)] == prefix {
					n++
				}
			}
			if n != batchSize {
				c.batchesMissing++
				c.missing = append(c.missing, prefix)
			}
		}
		c.syncTorn += len(r.Torn)
		c.syncObserved += r.Observed
	}
	// Every batch ever written, acknowledged or not: all of its keys or none.
	count := map[string]int{}
	for k := range stored {
		if i := strings.LastIndexByte(k, '-'); i > 0 && strings.Count(k, "-") == 3 {
			count[k[:i]]++
		}
	}
	for _, n := range count {
		c.batchesChecked++
		if n != batchSize {
			c.batchesTorn++
		}
	}
	c.finalSync = finalSync(ctx, s)
	return c, nil
}

// finalSync runs a last sync with the servers up and checks that each
// group is exactly the users active now: "ok", or what is wrong.
func finalSync(ctx context.Context, s *waffle.Store) string {
	res, err := s.SyncMembership(ctx, "sync-0", "sync-1")
	verdict := "ok"
	if err != nil {
		verdict = err.Error()
	}
	for _, f := range res.Flags {
		if f.Err != nil {
			verdict = f.Err.Error()
			continue
		}
		members, err := s.GroupMembers(ctx, waffle.SyncGroupName(f.Flag))
		if err != nil {
			verdict = err.Error()
		} else if len(members) != f.Active {
			verdict = fmt.Sprintf("%s: %d members, %d active", f.Flag, len(members), f.Active)
		}
	}
	return verdict
}

func percentile(sorted []int64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return time.Duration(sorted[i]) * time.Microsecond
}

func render(duration, elapsed time.Duration, events []string, results []result, c checks, failed []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Soak report\n\n")
	fmt.Fprintf(&b, "%s of load (SOAK_DURATION=%s) from %d processes x %d goroutines; 2 processes through PgBouncer 1.18 (transaction pooling), 2 straight to PostgreSQL; run ended after %s.\n\n",
		duration, duration, workers, goroutines, elapsed.Round(time.Second))
	b.WriteString("Restarts:\n\n")
	for _, e := range events {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	ops := map[string]int{}
	lat := map[string][]int64{}
	errs := map[string]int{}
	retried, gaveUp := 0, 0
	for _, r := range results {
		for k, n := range r.Ops {
			ops[k] += n
		}
		for k, l := range r.Latency {
			lat[k] = append(lat[k], l...)
		}
		for k, n := range r.Errors {
			errs[k] += n
		}
		retried += r.Retried
		gaveUp += r.GaveUp
	}
	b.WriteString("\n| operation | acknowledged | p50 | p99 | max |\n| --- | ---: | ---: | ---: | ---: |\n")
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range ops {
			if !yield(k) {
				return
			}
		}
	})
	total := 0
	for _, k := range kinds {
		l := lat[k]
		slices.Sort(l)
		total += ops[k]
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", k, ops[k],
			percentile(l, 0.50).Round(10*time.Microsecond), percentile(l, 0.99).Round(10*time.Microsecond),
			percentile(l, 1).Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "| all | %d | | | |\n", total)
	b.WriteString("\nFailed attempts by kind (writes are retried until acknowledged; reads are not):\n\n")
	if len(errs) == 0 {
		b.WriteString("- none\n")
	}
	ekinds := make([]string, 0, len(errs))
	for k := range errs {
		ekinds = append(ekinds, k)
	}
	sort.Slice(ekinds, func(i, j int) bool {
		return errs[ekinds[i]] > errs[ekinds[j]] || errs[ekinds[i]] == errs[ekinds[j]] && ekinds[i] < ekinds[j]
	})
	for _, k := range ekinds {
		fmt.Fprintf(&b, "- %d × %s\n", errs[k], k)
	}
	fmt.Fprintf(&b, "\nWrites acknowledged after a retry: %d; never acknowledged: %d.\n\n", retried, gaveUp)
	b.WriteString("Checks:\n\n")
	fmt.Fprintf(&b, "- acknowledged Set calls present with their value: %d of %d\n", c.setsAcked-c.setsMissing, c.setsAcked)
	fmt.Fprintf(&b, "- acknowledged SetFromJSON batches present in full: %d of %d\n", c.batchesAcked-c.batchesMissing, c.batchesAcked)
	fmt.Fprintf(&b, "- batches in the database with all %d keys or none (acknowledged or not): %d of %d, torn: %d\n", batchSize, c.batchesChecked-c.batchesTorn, c.batchesChecked, c.batchesTorn)
	fmt.Fprintf(&b, "- sync groups read during the run that were one instant's active users: %d of %d, torn: %d\n", c.syncObserved-c.syncTorn, c.syncObserved, c.syncTorn)
	fmt.Fprintf(&b, "- final sync, each group exactly its active users: %s\n", c.finalSync)
	for _, f := range failed {
		fmt.Fprintf(&b, "- FAILED: %s\n", f)
	}
	if len(c.missing) > 0 {
		fmt.Fprintf(&b, "- missing: %s\n", truncate(strings.Join(c.missing, ", "), 400))
	}
	verdict := "PASS"
	if len(failed) > 0 || !c.ok() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\nVerdict: %s\n", verdict)
	return b.String()
}
