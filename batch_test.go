package waffle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// batchWorld is the generated data of the differential test: what exists,
// and how the Stores are configured.
type batchWorld struct {
	flags, switches, samples, strs []string
	groups                         []string
}

// batchRequest is one generated request and the names it reads.
type batchRequest struct {
	user    *User
	lang    string
	query   string
	cookies []string
	headers [][2]string
	names   Names
}

// batchOutcome is everything a request's reads leave behind.
type batchOutcome struct {
	Flags, Switches, Samples map[string]bool
	Strings                  map[string]string
	Err                      string
	Cookies                  []string
	Logs                     []string
	Created                  []string
}

// seqRand is a Config.Rand that replays the same draws after reset.
type seqRand struct {
	mu   sync.Mutex
	seed uint64
	r    *rand.Rand
}

func (s *seqRand) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r = rand.New(rand.NewPCG(s.seed, 7))
}

func (s *seqRand) draw() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Float64()
}

// Evaluate, Needs and the one-name calls agree: on generated flags,
// switches, samples, string flags and requests (users with groups,
// languages, override and testing parameters, headers and cookies, missing
// names logged and created), each request's answers, errors, Set-Cookie
// headers, logs and created rows are the same whichever way it reads.
func TestEvaluateMatchesOneNameCalls(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		gen := rand.New(rand.NewPCG(14, 14))
		w := seedBatchWorld(t, h.store(t, nil), gen)
		for cfgN := range 4 {
			var logs bytes.Buffer
			seq := &seqRand{seed: uint64(cfgN)}
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			cfg := batchTestConfig(gen, cfgN, seq, &logs, now)
			s := h.store(t, cfg)
			for i := range 25 {
				req := genBatchRequest(gen, w, i)
				label := fmt.Sprintf("config %d, request %d: %+v", cfgN, i, req)
				var outs []batchOutcome
				for _, mode := range []string{"one", "evaluate", "needs"} {
					seq.reset()
					logs.Reset()
					out := runBatchRequest(t, s, req, mode)
					out.Logs = strings.Split(strings.TrimSpace(logs.String()), "\n")
					out.Created = createdMissing(t, s)
					outs = append(outs, out)
				}
				require.Equal(t, outs[0], outs[1], "Evaluate, %s", label)
				require.Equal(t, outs[0], outs[2], "Needs, %s", label)
				require.NotEmpty(t, outs[0].Flags, label)
			}
		}
		_ = ctx
	})
}

// seedBatchWorld stores generated flags (every rule), switches, samples,
// string flags and group members, one flag synced from time windows.
func seedBatchWorld(t *testing.T, s *Store, gen *rand.Rand) *batchWorld {
	t.Helper()
	ctx := context.Background()
	w := &batchWorld{groups: []string{"g0", "g1", "g2", "g3"}}
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	for i, g := range w.groups {
		require.NoError(t, s.AddGroupMembers(ctx, g, users[i], users[i+1]))
	}
	pick := func(from []string) []string {
		var out []string
		for _, v := range from {
			if gen.IntN(4) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 14 {
		f := &Flag{Name: "f" + strconv.Itoa(i), Testing: gen.IntN(3) == 0, Superusers: gen.IntN(4) == 0,
			Staff: gen.IntN(4) == 0, Authenticated: gen.IntN(5) == 0, Rollout: gen.IntN(3) == 0,
			Users: pick(users), Groups: pick(w.groups)}
		switch gen.IntN(5) {
		case 0:
			f.Everyone = ptr(true)
		case 1:
			f.Everyone = ptr(false)
		}
		switch gen.IntN(4) {
		case 0, 1:
			f.Percent = ptr(float64(gen.IntN(101)))
		case 2:
			f.Ramp = LinearRamp(now.Add(-time.Hour), now.Add(time.Hour), 0, 100)
		}
		if gen.IntN(4) == 0 {
			f.Languages = LanguageList{"en", "fr"}
		}
		require.NoError(t, s.SaveFlag(ctx, f), f.Name)
		w.flags = append(w.flags, f.Name)
	}
	// A flag whose members come from its time windows (a WAFFLE_ group).
	require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "windowed"}))
	_, err := s.AddWindow(ctx, FlagMember{Flag: "windowed", User: "u2"})
	require.NoError(t, err)
	_, err = s.SyncMembership(ctx, "windowed")
	require.NoError(t, err)
	w.flags = append(w.flags, "windowed")
	for i := range 4 {
		n := strconv.Itoa(i)
		require.NoError(t, s.SetSwitch(ctx, "s"+n, i%2 == 0))
		require.NoError(t, s.SetSample(ctx, "p"+n, float64(i*33)))
		w.switches = append(w.switches, "s"+n)
		w.samples = append(w.samples, "p"+n)
	}
	require.NoError(t, s.Set(ctx, "str", "blue"))
	require.NoError(t, s.Set(ctx, "empty", ""))
	require.NoError(t, s.Set(ctx, "null", nil))
	w.strs = []string{"str", "empty", "null"}
	return w
}

// genBatchRequest makes request i: a user or not, a language, override and
// testing parameters, headers and cookies for some flags, and the names
// read, with missing ones.
func genBatchRequest(gen *rand.Rand, w *batchWorld, i int) batchRequest {
	var r batchRequest
	switch gen.IntN(4) {
	case 1:
		r.user = &User{ID: "u" + strconv.Itoa(gen.IntN(7)), Authenticated: gen.IntN(2) == 0, Staff: gen.IntN(3) == 0,
			Superuser: gen.IntN(4) == 0}
	case 2:
		r.user = &User{ID: "u" + strconv.Itoa(gen.IntN(7)), Groups: []string{w.groups[gen.IntN(4)], "nope"}}
	case 3:
		r.user = &User{Groups: []string{w.groups[gen.IntN(4)]}, Authenticated: true}
	}
	if gen.IntN(3) == 0 {
		r.lang = []string{"en", "de"}[gen.IntN(2)]
	}
	var q []string
	for _, f := range w.flags {
		switch gen.IntN(12) {
		case 0:
			q = append(q, f+"="+strconv.Itoa(gen.IntN(2)))
		case 1:
			q = append(q, "dwft_"+f+"="+strconv.Itoa(gen.IntN(2)))
		case 2:
			r.cookies = append(r.cookies, "dwf_"+f+"="+[]string{"True", "False"}[gen.IntN(2)])
		case 3:
			r.cookies = append(r.cookies, "dwft_"+f+"="+[]string{"True", "False"}[gen.IntN(2)])
		case 4:
			r.headers = append(r.headers, [2]string{"Dwft-" + f, strconv.Itoa(gen.IntN(2))})
		}
	}
	r.query = strings.Join(q, "&")
	sub := func(names []string, missing string) []string {
		var out []string
		for _, n := range names {
			if gen.IntN(3) > 0 {
				out = append(out, n)
			}
		}
		if gen.IntN(2) == 0 {
			out = append(out, missing+strconv.Itoa(i%3))
		}
		gen.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
		return out
	}
	r.names = Names{Flags: sub(w.flags, "missing-f"), Switches: sub(w.switches, "missing-s"),
		Samples: sub(w.samples, "missing-p"), StringFlags: sub(w.strs, "missing-str")}
	if len(r.names.Flags) == 0 {
		r.names.Flags = []string{w.flags[0]}
	}
	if i%3 == 0 {
		// Flags and switches only: the batch reads them with its narrower
		// statement (batch_eval_flags).
		r.names.Samples, r.names.StringFlags = nil, nil
	}
	return r
}

// runBatchRequest serves req through s.Middleware and reads its names: one
// call per name ("one"), one Evaluate ("evaluate"), or one call per name
// behind Needs ("needs").
func runBatchRequest(t *testing.T, s *Store, req batchRequest, mode string) batchOutcome {
	t.Helper()
	target := "/"
	if req.query != "" {
		target += "?" + req.query
	}
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range req.cookies {
		r.Header.Add("Cookie", c)
	}
	for _, hv := range req.headers {
		r.Header[hv[0]] = append(r.Header[hv[0]], hv[1])
	}
	out := batchOutcome{Flags: map[string]bool{}, Switches: map[string]bool{}, Samples: map[string]bool{}, Strings: map[string]string{}}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if req.user != nil {
			ctx = WithUser(ctx, *req.user)
		}
		if req.lang != "" {
			ctx = WithLanguage(ctx, req.lang)
		}
		err := readNames(ctx, s, req.names, mode, &out)
		if err != nil {
			out.Err = err.Error()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if mode == "needs" {
		h = s.Needs(req.names)(h)
	} else {
		h = s.Middleware(h)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	out.Cookies = rec.Result().Header.Values("Set-Cookie")
	return out
}

func readNames(ctx context.Context, s *Store, n Names, mode string, out *batchOutcome) error {
	str := func(v Value) string { return fmt.Sprintf("%q %v %v %v", v.String(), v.Found(), v.Null(), v.Any()) }
	if mode == "evaluate" {
		res, err := s.Evaluate(ctx, n)
		if err != nil {
			return err
		}
		out.Flags, out.Switches, out.Samples = res.Flags, res.Switches, res.Samples
		for name, v := range res.StringFlags {
			out.Strings[name] = str(v)
		}
		return nil
	}
	var errs []error
	for _, name := range n.Flags {
		on, err := s.FlagIsActive(ctx, name)
		out.Flags[name] = on
		errs = append(errs, err)
	}
	for _, name := range n.Switches {
		on, err := s.SwitchIsActive(ctx, name)
		out.Switches[name] = on
		errs = append(errs, err)
	}
	for _, name := range n.Samples {
		on, err := s.SampleIsActive(ctx, name)
		out.Samples[name] = on
		errs = append(errs, err)
	}
	for _, name := range n.StringFlags {
		v, err := s.Get(ctx, name)
		if err != nil && !errors.Is(err, ErrNoSuchFlag) {
			errs = append(errs, err)
		}
		out.Strings[name] = str(v)
	}
	return errors.Join(errs...)
}

// createdMissing lists the missing-* rows the reads created, then deletes
// them for the next pass.
func createdMissing(t *testing.T, s *Store) []string {
	t.Helper()
	db, err := s.db.DB()
	require.NoError(t, err)
	var out []string
	for _, table := range []string{"waffle_flag", "waffle_switch", "waffle_sample"} {
		func() {
			rows, err := db.Query("SELECT name FROM " + table + " WHERE name LIKE 'missing%' ORDER BY name")
			require.NoError(t, err)
			defer rows.Close()
			for rows.Next() {
				var name string
				require.NoError(t, rows.Scan(&name))
				out = append(out, table+":"+name)
			}
			require.NoError(t, rows.Err())
		}()
		_, err = db.Exec("DELETE FROM " + table + " WHERE name LIKE 'missing%'")
		require.NoError(t, err)
	}
	return out
}

// An invalid name anywhere in a batch is a *NameError naming it, and
// nothing is sent.
func TestEvaluateInvalidNameSendsNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, counter := h.countingStore(t, &Config{CreateMissingFlags: true})
		for _, n := range []Names{
			{Flags: []string{"ok", "_bad"}},
			{Flags: []string{"ok"}, Switches: []string{""}},
			{Samples: []string{"_x"}},
			{StringFlags: []string{"set_from_json"}},
		} {
			counter.Reset()
			_, err := s.Evaluate(context.Background(), n)
			var ne *NameError
			require.ErrorAs(t, err, &ne)
			require.Zero(t, counter.Count(), "%+v", n)
		}
	})
}

// One statement per response however many names: Evaluate, a route behind
// Needs (with a guard), the status view, wafflejs and a template.
func TestBatchStatementsPerResponse(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		var names Names
		for i := range 30 {
			n := "f" + strconv.Itoa(i)
			require.NoError(t, s.SaveFlag(ctx, &Flag{Name: n, Percent: ptr(50.0), Users: []string{"u1"}, Groups: []string{"g1"}}))
			names.Flags = append(names.Flags, n)
		}
		require.NoError(t, s.AddGroupMembers(ctx, "g1", "u2"))
		for _, n := range []string{"s1", "s2"} {
			require.NoError(t, s.SetSwitch(ctx, n, true))
			names.Switches = append(names.Switches, n)
		}
		require.NoError(t, s.SetSample(ctx, "p1", 50))
		require.NoError(t, s.Set(ctx, "color", "red"))
		names.Samples, names.StringFlags = []string{"p1"}, []string{"color"}
		user := func(r *http.Request) *http.Request {
			return r.WithContext(WithUser(r.Context(), User{ID: "u2", Groups: []string{"g1"}}))
		}
		readAll := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			for range 2 {
				for _, n := range names.Flags {
					_, err := s.FlagIsActive(ctx, n)
					require.NoError(t, err)
				}
				for _, n := range names.Switches {
					_, err := s.SwitchIsActive(ctx, n)
					require.NoError(t, err)
				}
				_, err := s.SampleIsActive(ctx, "p1")
				require.NoError(t, err)
				_, err = s.Get(ctx, "color")
				require.NoError(t, err)
			}
			w.WriteHeader(http.StatusNoContent)
		})
		page := template.Must(template.New("p").Funcs(s.FuncMap(nil)).Parse(
			`{{range .}}{{if flag .}}on{{end}}{{end}}{{if switch "s1"}}s{{end}}{{if sample "p1"}}p{{end}}`))
		tmpl := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var buf bytes.Buffer
			tp := template.Must(page.Clone())
			require.NoError(t, tp.Funcs(s.FuncMap(r)).Execute(&buf, names.Flags))
			_, _ = w.Write(buf.Bytes())
		})
		for _, c := range []struct {
			name    string
			handler http.Handler
			wrap    func(*http.Request) *http.Request
		}{
			{"Needs", s.Needs(names)(readAll), user},
			{"NeedsAndGuard", s.Needs(names)(s.FlagRequired("f0", nil)(s.SwitchRequired("s1", nil)(readAll))), user},
			{"Status", s.StatusHandler(), user},
			{"WaffleJS", s.JSHandler(), user},
			{"Template", s.Middleware(tmpl), user},
		} {
			r := httptest.NewRequest(http.MethodGet, "/?x=1", nil)
			r.Header.Set("Cookie", "dwf_f1=True")
			if c.wrap != nil {
				r = c.wrap(r)
			}
			counter.Reset()
			rec := httptest.NewRecorder()
			c.handler.ServeHTTP(rec, r)
			require.Less(t, rec.Code, 300, c.name)
			require.Equal(t, int64(1), counter.Count(), "%s: %v", c.name, counter.Statements())
		}
		counter.Reset()
		res, err := s.Evaluate(WithUser(ctx, User{ID: "u1"}), names)
		require.NoError(t, err)
		require.Equal(t, int64(1), counter.Count())
		require.Len(t, res.Flags, 30)
		for _, n := range names.Flags {
			require.True(t, res.Flags[n], "u1 is listed on %s", n)
		}
		require.Equal(t, "red", res.StringFlags["color"].String())
		require.True(t, slices.Equal([]bool{true, true}, []bool{res.Switches["s1"], res.Switches["s2"]}))
	})
}

// batchTestConfig is the configuration number cfgN (0 to 3) of the batch
// differential tests: its missing-name settings, defaults and override
// drawn from gen, missing names logged to logs without the time, draws from
// seq and the clock stopped at now.
func batchTestConfig(gen *rand.Rand, cfgN int, seq *seqRand, logs *bytes.Buffer, now time.Time) *Config {
	return &Config{
		Override:              gen.IntN(2) == 0,
		CreateMissingFlags:    cfgN%2 == 0,
		CreateMissingSwitches: cfgN%2 == 1,
		CreateMissingSamples:  cfgN < 2,
		FlagDefault:           gen.IntN(2) == 0,
		SwitchDefault:         gen.IntN(2) == 0,
		SampleDefault:         gen.IntN(2) == 0,
		MissingFlagHandling:   []MissingFlagMode{ReturnFalse, ReturnEmpty, ReturnNone, Exception}[cfgN],
		LogMissingFlags:       slog.LevelWarn,
		LogMissingSwitches:    slog.LevelInfo,
		LogMissingSamples:     slog.LevelWarn,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		})),
		Rand: seq.draw,
		Now:  func() time.Time { return now },
	}
}
