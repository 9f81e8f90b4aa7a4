package waffle

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
)

// In Django mode, Evaluate, Needs and the all-rows batch of the template
// helpers, the status view and wafflejs agree with the one-name calls: on
// flags, switches and samples Django wrote (users listed, auth_groups, the
// user's Django groups, every rule) and string flags in the library's own
// table, for generated requests (auth_user keys and IDs that are not,
// groups the application passes, languages, override and testing
// parameters, headers, dwf_ and dwft_ cookies, missing names logged and
// created with Django's defaults): answers, errors, Set-Cookie headers,
// logs and created rows are the same whichever way a request reads.
func TestDjangoEvaluateMatchesOneNameCalls(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		gen := rand.New(rand.NewPCG(16, 16))
		w := seedDjangoBatchWorld(t, h, gen)
		for cfgN := range 4 {
			var logs bytes.Buffer
			seq := &seqRand{seed: uint64(cfgN)}
			now := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)
			cfg := batchTestConfig(gen, cfgN, seq, &logs, now)
			s := h.store(t, cfg)
			for i := range 40 {
				req := genDjangoBatchRequest(gen, w, i)
				label := fmt.Sprintf("config %d, request %d: %+v", cfgN, i, req)
				var outs []batchOutcome
				for _, mode := range []string{"one", "evaluate", "needs", "all"} {
					seq.reset()
					logs.Reset()
					out := runDjangoBatchRequest(t, s, req, mode)
					out.Logs = strings.Split(strings.TrimSpace(logs.String()), "\n")
					out.Created = createdMissing(t, s)
					outs = append(outs, out)
				}
				require.Equal(t, outs[0], outs[1], "Evaluate, %s", label)
				require.Equal(t, outs[0], outs[2], "Needs, %s", label)
				require.Equal(t, outs[0], outs[3], "all rows, %s", label)
				require.NotEmpty(t, outs[0].Flags, label)
			}
		}
		// The rows a batch created are Django's: it reads and validates them.
		s := h.store(t, &Config{CreateMissingFlags: true, CreateMissingSwitches: true, CreateMissingSamples: true,
			SampleDefault: true, Now: func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC) }})
		_, err := s.Evaluate(context.Background(), Names{Flags: []string{"new-f"}, Switches: []string{"new-s"}, Samples: []string{"new-p"}})
		require.NoError(t, err)
		r := h.read(t)
		found := 0
		for _, f := range r.Flags {
			if f.Name == "new-f" {
				found++
				require.Empty(t, f.Error)
				require.True(t, f.Superusers, "Django's default")
				require.Equal(t, "2026-06-01T12:00:00.123456+00:00", f.Created)
			}
		}
		for _, sw := range r.Switches {
			if sw.Name == "new-s" {
				found++
				require.Empty(t, sw.Error)
			}
		}
		for _, sm := range r.Samples {
			if sm.Name == "new-p" {
				found++
				require.Empty(t, sm.Error)
				require.Equal(t, "100.0", sm.Percent)
			}
		}
		require.Equal(t, 3, found)
	})
}

// seedDjangoBatchWorld has Django write users 1 to 6 with groups, flags
// with every rule, switches and samples, and the Store a flag of its own
// and string flags.
func seedDjangoBatchWorld(t *testing.T, h *djangoHarness, gen *rand.Rand) *batchWorld {
	t.Helper()
	ctx := context.Background()
	w := &batchWorld{groups: []string{"g0", "g1", "g2", "g3"}}
	users := []string{"1", "2", "3", "4", "5", "6"}
	var du []map[string]any
	for i, id := range users {
		groups := []string{}
		for j, g := range w.groups {
			if j == i || j+1 == i || gen.IntN(5) == 0 {
				groups = append(groups, g)
			}
		}
		du = append(du, map[string]any{"id": id, "staff": gen.IntN(3) == 0, "superuser": gen.IntN(4) == 0, "groups": groups})
	}
	pick := func(from []string) []string {
		out := []string{}
		for _, v := range from {
			if gen.IntN(4) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	var flags []map[string]any
	for i := range 16 {
		f := map[string]any{"name": "f" + strconv.Itoa(i), "testing": gen.IntN(3) == 0, "superusers": gen.IntN(4) == 0,
			"staff": gen.IntN(4) == 0, "authenticated": gen.IntN(5) == 0, "rollout": gen.IntN(3) == 0,
			"users": pick(users), "groups": pick(w.groups)}
		switch gen.IntN(5) {
		case 0:
			f["everyone"] = true
		case 1:
			f["everyone"] = false
		}
		if gen.IntN(2) == 0 {
			f["percent"] = []string{"0.0", "0.1", "33.3", "50.0", "99.9"}[gen.IntN(5)]
		}
		if gen.IntN(4) == 0 {
			f["languages"] = "en,fr"
		}
		flags = append(flags, f)
		w.flags = append(w.flags, f["name"].(string))
	}
	var switches, samples []map[string]any
	for i := range 4 {
		n := strconv.Itoa(i)
		switches = append(switches, map[string]any{"name": "s" + n, "active": i%2 == 0})
		samples = append(samples, map[string]any{"name": "p" + n, "percent": strconv.Itoa(i*33) + ".0"})
		w.switches = append(w.switches, "s"+n)
		w.samples = append(w.samples, "p"+n)
	}
	h.django.Run(t, "write", map[string]any{"users": du, "flags": flags, "switches": switches, "samples": samples}, nil)
	// A flag the Store wrote, with a user and a group of its own.
	require.NoError(t, h.s.SaveFlag(ctx, &Flag{Name: "go-flag", Users: []string{"3"}, Groups: []string{"g-go"}, Percent: ptr(50.0)}))
	require.NoError(t, h.s.AddGroupMembers(ctx, "g-go", "5"))
	w.flags = append(w.flags, "go-flag")
	require.NoError(t, h.s.Set(ctx, "str", "blue"))
	require.NoError(t, h.s.Set(ctx, "empty", ""))
	require.NoError(t, h.s.Set(ctx, "null", nil))
	w.strs = []string{"str", "empty", "null"}
	return w
}

// djangoBatchIDs maps genBatchRequest's users u0 to u6 to auth_user keys,
// and to IDs that are not one (a leading zero, text, a key no user has).
var djangoBatchIDs = map[string]string{"u0": "1", "u1": "2", "u2": "3", "u3": "05", "u4": "4", "u5": "x6", "u6": "99"}

// genDjangoBatchRequest is genBatchRequest with Django users and the
// group g-go the Store created.
func genDjangoBatchRequest(gen *rand.Rand, w *batchWorld, i int) batchRequest {
	r := genBatchRequest(gen, w, i)
	if r.user != nil {
		u := *r.user
		if u.ID != "" {
			u.ID = djangoBatchIDs[u.ID]
		}
		if gen.IntN(4) == 0 {
			u.Groups = append(u.Groups, "g-go")
		}
		r.user = &u
	}
	return r
}

// runDjangoBatchRequest is runBatchRequest, plus mode "all": the one-name
// calls answered from the all-rows batch the template helpers fetch.
func runDjangoBatchRequest(t *testing.T, s *Store, req batchRequest, mode string) batchOutcome {
	t.Helper()
	if mode != "all" {
		return runBatchRequest(t, s, req, mode)
	}
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
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if req.user != nil {
			ctx = WithUser(ctx, *req.user)
		}
		if req.lang != "" {
			ctx = WithLanguage(ctx, req.lang)
		}
		requestStateFrom(ctx).batchMemo().declareAll()
		if err := readNames(ctx, s, req.names, "one", &out); err != nil {
			out.Err = err.Error()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	out.Cookies = rec.Result().Header.Values("Set-Cookie")
	return out
}

// In Django mode too, one statement per response however many names:
// Evaluate, a route behind Needs (with a guard), the status view, wafflejs
// and a template, for a user whose Django groups list them.
func TestDjangoBatchStatementsPerResponse(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{"users": []map[string]any{
			{"id": "1"}, {"id": "2", "groups": []string{"g1"}}}}, nil)
		db, counter := h.db.OpenCounting(t)
		s, err := New(db, &Config{Django: &DjangoConfig{}})
		require.NoError(t, err)
		var names Names
		for i := range 30 {
			n := "f" + strconv.Itoa(i)
			require.NoError(t, s.SaveFlag(ctx, &Flag{Name: n, Percent: ptr(50.0), Users: []string{"1"}, Groups: []string{"g1"}}))
			names.Flags = append(names.Flags, n)
		}
		for _, n := range []string{"s1", "s2"} {
			require.NoError(t, s.SetSwitch(ctx, n, true))
			names.Switches = append(names.Switches, n)
		}
		require.NoError(t, s.SetSample(ctx, "p1", 50))
		require.NoError(t, s.Set(ctx, "color", "red"))
		names.Samples, names.StringFlags = []string{"p1"}, []string{"color"}
		user := func(r *http.Request) *http.Request {
			return r.WithContext(WithUser(r.Context(), User{ID: "2"}))
		}
		readAll := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			for range 2 {
				for _, n := range names.Flags {
					on, err := s.FlagIsActive(ctx, n)
					require.NoError(t, err)
					require.True(t, on, "user 2 is in g1, on %s", n)
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
			want    string
		}{
			{"Needs", s.Needs(names)(readAll), ""},
			{"NeedsAndGuard", s.Needs(names)(s.FlagRequired("f0", nil)(s.SwitchRequired("s1", nil)(readAll))), ""},
			{"Status", s.StatusHandler(), `"f29"`},
			{"WaffleJS", s.JSHandler(), `"f29"`},
			{"Template", s.Middleware(tmpl), strings.Repeat("on", 30) + "s"},
		} {
			r := user(httptest.NewRequest(http.MethodGet, "/?x=1", nil))
			r.Header.Set("Cookie", "dwf_p1=True")
			counter.Reset()
			rec := httptest.NewRecorder()
			c.handler.ServeHTTP(rec, r)
			require.Less(t, rec.Code, 300, c.name)
			require.Equal(t, int64(1), counter.Count(), "%s: %v", c.name, counter.Statements())
			require.Contains(t, rec.Body.String(), c.want, c.name)
		}
		counter.Reset()
		res, err := s.Evaluate(WithUser(ctx, User{ID: "1"}), names)
		require.NoError(t, err)
		require.Equal(t, int64(1), counter.Count())
		require.Len(t, res.Flags, 30)
		for _, n := range names.Flags {
			require.True(t, res.Flags[n], "user 1 is listed on %s", n)
		}
		require.Equal(t, "red", res.StringFlags["color"].String())
		require.True(t, res.Switches["s1"] && res.Switches["s2"])
		res, err = s.Evaluate(WithUser(ctx, User{ID: "3", Groups: []string{"g1"}}), Names{Flags: []string{"f0"}})
		require.NoError(t, err)
		require.True(t, res.Flags["f0"], "a group the application passes")
	})
}
