package waffle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// TestDjangoDifferential generates flag configurations and requests (users,
// groups, staff, superusers, languages, cookies, testing, override), has
// django-waffle's flag_is_active decide each with its random draw pinned,
// and requires the Store in Django mode to give the same decision and write
// the same cookies, case for case, on SQLite and PostgreSQL.
// WAFFLE_DJANGO_DIFF_CASES changes the number of requests (default 3000).
func TestDjangoDifferential(t *testing.T) {
	t.Parallel()
	cases := 3000
	if v, err := strconv.Atoi(os.Getenv("WAFFLE_DJANGO_DIFF_CASES")); err == nil && v > 0 {
		cases = v
	}
	eachDjangoDB(t, djangotest.Options{Override: true}, &Config{Override: true}, func(t *testing.T, h *djangoHarness) {
		// Each database's subtest pins its own draw: the two run in
		// parallel.
		var draw float64
		s := h.store(t, &Config{Override: true, Rand: func() float64 { return draw }})
		gen := newDiffGen(rand.New(rand.NewPCG(16, 2026)))
		h.django.Run(t, "write", gen.world(), nil)
		reqs := make([]diffRequest, cases)
		for i := range reqs {
			reqs[i] = gen.request()
		}
		var answer struct {
			Results []struct {
				Active  bool `json:"active"`
				Cookies map[string]struct {
					Value  string `json:"value"`
					MaxAge *int   `json:"max_age"`
					Secure bool   `json:"secure"`
				} `json:"cookies"`
			} `json:"results"`
		}
		h.django.Run(t, "eval", map[string]any{"requests": reqs}, &answer)
		require.Len(t, answer.Results, len(reqs))

		on, withCookies := 0, 0
		for i, r := range reqs {
			want := answer.Results[i]
			draw = r.Draw / 100
			header := http.Header{}
			for k, v := range r.Headers {
				header.Set(k, v)
			}
			if r.RawCookie != "" {
				header.Set("Cookie", r.RawCookie)
			}
			var u *User
			if r.User != nil {
				du := gen.users[*r.User]
				u = &User{ID: *r.User, Authenticated: true, Staff: du.Staff, Superuser: du.Superuser}
			}
			got, cookies := djangoEval(t, s, r.Flag, u, r.Language, r.Query, header)
			// The batch path (Evaluate, as Needs, wafflejs and the status
			// view read) decides and writes cookies alike.
			batchGot, batchCookies := djangoEvalBy(t, s, func(ctx context.Context) (bool, error) {
				res, err := s.Evaluate(ctx, Names{Flags: []string{r.Flag}})
				if err != nil {
					return false, err
				}
				return res.Flags[r.Flag], nil
			}, u, r.Language, r.Query, header)
			require.Equal(t, got, batchGot, "case %d, Evaluate: %+v", i, r)
			require.Equal(t, cookieLines(cookies), cookieLines(batchCookies), "case %d, Evaluate: %+v", i, r)
			require.Equal(t, want.Active, got, "case %d: %+v", i, r)
			wantNames, gotNames := make([]string, 0), make([]string, 0)
			for n := range want.Cookies {
				wantNames = append(wantNames, n)
			}
			for n := range cookies {
				gotNames = append(gotNames, n)
			}
			sort.Strings(wantNames)
			sort.Strings(gotNames)
			require.Equal(t, wantNames, gotNames, "case %d cookies: %+v", i, r)
			for n, wc := range want.Cookies {
				gc := cookies[n]
				require.Equal(t, wc.Value, gc.Value, "case %d cookie %s", i, n)
				require.Equal(t, wc.Secure, gc.Secure, "case %d cookie %s", i, n)
				if wc.MaxAge == nil {
					require.Zero(t, gc.MaxAge, "case %d cookie %s: a session cookie", i, n)
				} else {
					require.Equal(t, *wc.MaxAge, gc.MaxAge, "case %d cookie %s", i, n)
				}
			}
			if got {
				on++
			}
			if len(cookies) > 0 {
				withCookies++
			}
		}
		t.Logf("differential: %d flags, %d users, %d requests agree (%d on, %d writing cookies)",
			len(gen.flags), len(gen.users), len(reqs), on, withCookies)
	})
}

type diffUser struct {
	ID        string   `json:"id"`
	Staff     bool     `json:"staff"`
	Superuser bool     `json:"superuser"`
	Groups    []string `json:"groups"`
}

type diffFlag struct {
	Name          string   `json:"name"`
	Everyone      *bool    `json:"everyone"`
	Percent       *string  `json:"percent"`
	Testing       bool     `json:"testing"`
	Superusers    bool     `json:"superusers"`
	Staff         bool     `json:"staff"`
	Authenticated bool     `json:"authenticated"`
	Languages     string   `json:"languages"`
	Rollout       bool     `json:"rollout"`
	Users         []string `json:"users"`
	Groups        []string `json:"groups"`
}

type diffRequest struct {
	Flag      string            `json:"flag"`
	User      *string           `json:"user"`
	Language  string            `json:"language,omitempty"`
	Query     string            `json:"query,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	RawCookie string            `json:"raw_cookie,omitempty"`
	Draw      float64           `json:"draw"`
}

type diffGen struct {
	rnd     *rand.Rand
	users   map[string]diffUser
	userIDs []string
	flags   []diffFlag
}

var diffGroups = []string{"g1", "g2", "g3", "g4"}

func newDiffGen(rnd *rand.Rand) *diffGen {
	g := &diffGen{rnd: rnd, users: map[string]diffUser{}}
	for i := 1; i <= 12; i++ {
		u := diffUser{ID: strconv.Itoa(i), Staff: rnd.IntN(4) == 0, Superuser: rnd.IntN(6) == 0}
		u.Groups = g.subset(diffGroups, 3)
		g.users[u.ID] = u
		g.userIDs = append(g.userIDs, u.ID)
	}
	sort.Strings(g.userIDs)
	percents := []string{"", "", "0.0", "0.1", "12.5", "33.3", "50.0", "99.9"}
	for i := range 200 {
		f := diffFlag{Name: fmt.Sprintf("f_%d", i)}
		switch rnd.IntN(8) {
		case 0:
			f.Everyone = ptr(true)
		case 1:
			f.Everyone = ptr(false)
		}
		if p := percents[rnd.IntN(len(percents))]; p != "" {
			f.Percent = &p
		}
		f.Testing = rnd.IntN(3) == 0
		f.Superusers = rnd.IntN(2) == 0
		f.Staff = rnd.IntN(4) == 0
		f.Authenticated = rnd.IntN(6) == 0
		f.Languages = []string{"", "", "en", "en, fr ,de-at", "de"}[rnd.IntN(5)]
		f.Rollout = rnd.IntN(3) == 0
		f.Users = g.subset(g.userIDs, 4)
		f.Groups = g.subset(diffGroups, 4)
		g.flags = append(g.flags, f)
	}
	return g
}

// subset picks each element with probability 1/n.
func (g *diffGen) subset(from []string, n int) []string {
	out := []string{}
	for _, s := range from {
		if g.rnd.IntN(n) == 0 {
			out = append(out, s)
		}
	}
	return out
}

func (g *diffGen) world() map[string]any {
	users := make([]diffUser, 0, len(g.users))
	for _, id := range g.userIDs {
		users = append(users, g.users[id])
	}
	return map[string]any{"users": users, "flags": g.flags}
}

func (g *diffGen) request() diffRequest {
	rnd := g.rnd
	var r diffRequest
	var f *diffFlag
	if rnd.IntN(25) == 0 {
		r.Flag = "missing_" + strconv.Itoa(rnd.IntN(3))
	} else {
		f = &g.flags[rnd.IntN(len(g.flags))]
		r.Flag = f.Name
	}
	if rnd.IntN(3) > 0 {
		id := g.userIDs[rnd.IntN(len(g.userIDs))]
		r.User = &id
	}
	r.Language = []string{"", "", "en", "fr", "de", "de-at", "EN"}[rnd.IntN(7)]
	var q []string
	switch rnd.IntN(8) {
	case 0:
		q = append(q, "dwft_"+r.Flag+"=1")
	case 1:
		q = append(q, "dwft_"+r.Flag+"="+[]string{"0", "yes", ""}[rnd.IntN(3)])
	case 2:
		q = append(q, r.Flag+"="+[]string{"1", "0", "true", "1;x=2"}[rnd.IntN(4)])
	case 3:
		q = append(q, "other=1;"+r.Flag+"=1")
	}
	if rnd.IntN(6) == 0 {
		q = append(q, "x=y")
	}
	r.Query = strings.Join(q, "&")
	if rnd.IntN(8) == 0 {
		r.Headers = map[string]string{"DWFT-" + strings.ReplaceAll(r.Flag, "_", "-"): []string{"1", "0"}[rnd.IntN(2)]}
	}
	var cookies []string
	if rnd.IntN(3) == 0 {
		cookies = append(cookies, "dwf_"+r.Flag+"="+[]string{"True", "False", "garbage"}[rnd.IntN(3)])
	}
	if rnd.IntN(5) == 0 {
		cookies = append(cookies, "dwft_"+r.Flag+"="+[]string{"True", "False"}[rnd.IntN(2)])
	}
	if rnd.IntN(6) == 0 {
		cookies = append(cookies, "sessionid=abc")
	}
	r.RawCookie = strings.Join(cookies, "; ")
	// The draw: often right at the flag's percent, to check <= on both.
	r.Draw = float64(rnd.IntN(1000)) / 10
	if f != nil && f.Percent != nil && rnd.IntN(4) == 0 {
		p, _ := strconv.ParseFloat(*f.Percent, 64)
		r.Draw = p
	}
	// What the Store's Rand returns is Draw/100; Django draws exactly what
	// the Store then compares, (Draw/100)*100.
	r.Draw = (r.Draw / 100) * 100
	return r
}

// TestDjangoQueryParsing compares the library's reading of a raw query
// (override and testing parameters) with Django's QueryDict, in both modes:
// pairs split on "&" only, a ";" belongs to the key or value, the last of a
// repeated key wins, "+" is a space and %XX is decoded.
func TestDjangoQueryParsing(t *testing.T) {
	t.Parallel()
	p := djangotest.New(t, testdb.New(t, testdb.SQLite), djangotest.Options{})
	queries := []string{
		"beta=1", "beta=1;x=2", "x=1;beta=1", "beta;x=1", "beta=1&beta=0", "beta=0&beta=1",
		"beta=%31", "beta=1%3B", "be%74a=1", "beta+=1", "beta=+1", "beta", "beta=", "&&beta=1&&",
		"beta=1&x=2;beta=0", "a=1;;beta=1", "beta=1;", ";beta=1", "beta=%3B1",
	}
	var got struct {
		Params []map[string][]string `json:"params"`
	}
	p.Run(t, "query", map[string]any{"queries": queries}, &got)
	require.Len(t, got.Params, len(queries))
	for i, q := range queries {
		v, ok := parseQuery(q).get("beta")
		want, wantOK := got.Params[i]["beta"]
		require.Equal(t, wantOK, ok, "query %q: Django's QueryDict has %v", q, got.Params[i])
		if wantOK {
			require.Equal(t, want[len(want)-1], v, "query %q", q)
		}
	}
}

// cookieLines returns cookies as their Set-Cookie lines without Expires
// (the clock's second may turn between two responses; Max-Age stays),
// sorted.
func cookieLines(cookies map[string]*http.Cookie) []string {
	out := make([]string, 0, len(cookies))
	for _, c := range cookies {
		cc := *c
		cc.Expires, cc.RawExpires = time.Time{}, ""
		out = append(out, cc.String())
	}
	sort.Strings(out)
	return out
}
