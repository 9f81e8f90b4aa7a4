package waffle

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// Django mode against the real Django 3.2 and django-waffle 3.0: the test
// project in internal/djangotest/project runs as python3 subprocesses on the
// same SQLite file or PostgreSQL schema as the Store.

// djangoHarness is one database that Django migrated, with the project and
// a Django-mode Store on it.
type djangoHarness struct {
	db     *testdb.DB
	django *djangotest.Project
	s      *Store
}

// eachDjangoDB runs fn on SQLite and PostgreSQL, each database migrated by
// Django and then by the Store in Django mode. cfg's Django is set when nil.
func eachDjangoDB(t *testing.T, opts djangotest.Options, cfg *Config, fn func(t *testing.T, h *djangoHarness)) {
	t.Helper()
	djangotest.Require(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		h := &djangoHarness{db: db, django: djangotest.New(t, db, opts)}
		h.django.Migrate(t)
		h.s = h.store(t, cfg)
		require.NoError(t, h.s.Migrate(context.Background()))
		fn(t, h)
	})
}

// store returns a new Django-mode Store on the harness's database.
func (h *djangoHarness) store(tb testing.TB, cfg *Config) *Store {
	tb.Helper()
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Django == nil {
		c.Django = &DjangoConfig{}
	}
	s, err := New(h.db.Open(tb), &c)
	require.NoError(tb, err)
	return s
}

// djangoRead is gotest.py read's answer.
type djangoRead struct {
	Flags []struct {
		Name          string   `json:"name"`
		Everyone      *bool    `json:"everyone"`
		Percent       *string  `json:"percent"`
		Testing       bool     `json:"testing"`
		Superusers    bool     `json:"superusers"`
		Staff         bool     `json:"staff"`
		Authenticated bool     `json:"authenticated"`
		Languages     string   `json:"languages"`
		Rollout       bool     `json:"rollout"`
		Note          string   `json:"note"`
		Created       string   `json:"created"`
		Modified      string   `json:"modified"`
		Users         []string `json:"users"`
		Groups        []string `json:"groups"`
		Error         string   `json:"error"`
	} `json:"flags"`
	Switches []struct {
		Name   string `json:"name"`
		Active bool   `json:"active"`
		Error  string `json:"error"`
	} `json:"switches"`
	Samples []struct {
		Name    string `json:"name"`
		Percent string `json:"percent"`
		Created string `json:"created"`
		Error   string `json:"error"`
	} `json:"samples"`
	Groups []struct {
		Name  string   `json:"name"`
		Users []string `json:"users"`
	} `json:"groups"`
}

func (h *djangoHarness) read(t *testing.T) djangoRead {
	t.Helper()
	var r djangoRead
	h.django.Run(t, "read", struct{}{}, &r)
	return r
}

func (r djangoRead) group(name string) []string {
	for _, g := range r.Groups {
		if g.Name == name {
			return g.Users
		}
	}
	return nil
}

func TestDjangoMigrate(t *testing.T) {
	t.Parallel()
	djangotest.Require(t)
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		// Django mode on a database Django has not migrated: the first
		// missing table, and what to run.
		s, err := New(db.Open(t), &Config{Django: &DjangoConfig{}})
		require.NoError(t, err)
		err = s.Migrate(ctx)
		var se *DjangoSchemaError
		require.ErrorAs(t, err, &se)
		require.True(t, errors.Is(err, ErrDjangoSchema))
		require.Equal(t, "auth_group", se.Table)
		require.Contains(t, err.Error(), "python manage.py migrate")

		p := djangotest.New(t, db, djangotest.Options{})
		p.Migrate(t)

		// The default mode refuses Django's database and names Django mode.
		plain, err := New(db.Open(t), nil)
		require.NoError(t, err)
		err = plain.Migrate(ctx)
		require.ErrorAs(t, err, &se)
		require.False(t, se.Missing)
		require.Equal(t, "waffle_flag_users", se.Table)
		require.Contains(t, err.Error(), "Config.Django")

		// Django mode creates only the library's own tables, twice over.
		require.NoError(t, s.Migrate(ctx))
		require.NoError(t, s.Migrate(ctx))
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		require.Len(t, status, 2)
		for i, name := range []string{"django_own_tables", "django_audit_indexes"} {
			require.Equal(t, name, status[i].Name)
			require.True(t, status[i].Applied, name)
		}
		require.NoError(t, s.Set(ctx, "color", "blue"))
		v, err := s.Get(ctx, "color")
		require.NoError(t, err)
		require.Equal(t, "blue", v.String())
		exists := func(table string) bool {
			var ok bool
			require.NoError(t, s.pool().QueryRowContext(ctx, s.djangoStmt("django_table_exists"), table).Scan(&ok))
			return ok
		}
		for _, own := range []string{"waffle_group", "waffle_flag_user", "waffle_flag_group", "waffle_group_member"} {
			require.False(t, exists(own), "Django mode created the library's %s", own)
		}
		require.True(t, exists("waffle_audit"))

		// Down drops the library's own tables only; up makes them again.
		res, err := s.MigrateDown(ctx, 0)
		require.NoError(t, err)
		require.Len(t, res.Versions, 2)
		require.Equal(t, 0, res.Current)
		for _, own := range []string{"waffle_string_flag", "waffle_flag_member", "waffle_audit"} {
			require.False(t, exists(own), "MigrateDown left %s", own)
		}
		for _, dt := range djangoTables {
			require.True(t, exists(dt.table), "MigrateDown dropped Django's %s", dt.table)
		}
		res, err = s.MigrateUp(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, 2, res.Current)
		require.True(t, exists("waffle_audit"))

		// A Django table dropped later is named.
		_, err = s.pool().ExecContext(ctx, "DROP TABLE waffle_window_flagmember")
		require.NoError(t, err)
		err = s.Migrate(ctx)
		require.ErrorAs(t, err, &se)
		require.Equal(t, "waffle_window_flagmember", se.Table)
	})
}

// djangoEval evaluates flag for one request through the middleware and
// returns the decision and the cookies written, by name.
func djangoEval(t *testing.T, s *Store, flag string, u *User, lang, query string, header http.Header) (bool, map[string]*http.Cookie) {
	t.Helper()
	return djangoEvalBy(t, s, func(ctx context.Context) (bool, error) { return s.FlagIsActive(ctx, flag) }, u, lang, query, header)
}

// djangoEvalBy is djangoEval with the flag read by eval (FlagIsActive, or
// Evaluate of one flag).
func djangoEvalBy(t *testing.T, s *Store, eval func(context.Context) (bool, error), u *User, lang, query string,
	header http.Header) (bool, map[string]*http.Cookie) {
	t.Helper()
	target := "/"
	if query != "" {
		target += "?" + query
	}
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	var active bool
	var evalErr error
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if u != nil {
			ctx = WithUser(ctx, *u)
		}
		if lang != "" {
			ctx = WithLanguage(ctx, lang)
		}
		active, evalErr = eval(ctx)
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.NoError(t, evalErr)
	cookies := map[string]*http.Cookie{}
	for _, c := range rec.Result().Cookies() {
		cookies[c.Name] = c
	}
	return active, cookies
}

func TestDjangoReadsDjangoWrites(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{
			"users": []map[string]any{
				{"id": "1", "groups": []string{"beta"}},
				{"id": "2"},
				{"id": "3", "staff": true},
			},
			"flags": []map[string]any{
				{"name": "listed", "users": []string{"2"}, "superusers": false},
				{"name": "grouped", "groups": []string{"beta"}, "superusers": false},
				{"name": "half", "percent": "50.0"},
				{"name": "off", "everyone": false},
				{"name": "lang", "languages": "en, fr ,de-at"},
			},
			"switches": []map[string]any{{"name": "sw", "active": true}},
			"samples":  []map[string]any{{"name": "all", "percent": "100.0"}, {"name": "none", "percent": "0.0"}},
		}, nil)
		is := func(flag string, u *User, lang string) bool {
			on, _ := djangoEval(t, h.s, flag, u, lang, "", nil)
			return on
		}
		require.True(t, is("listed", &User{ID: "2", Authenticated: true}, ""))
		require.False(t, is("listed", &User{ID: "1", Authenticated: true}, ""))
		require.True(t, is("grouped", &User{ID: "1", Authenticated: true}, ""), "Django group from auth_user_groups")
		require.False(t, is("grouped", &User{ID: "2", Authenticated: true}, ""))
		require.True(t, is("grouped", &User{ID: "2", Authenticated: true, Groups: []string{"beta"}}, ""), "group the application passes")
		require.False(t, is("grouped", &User{ID: "2", Authenticated: true, Groups: []string{"other"}}, ""))
		require.True(t, is("lang", nil, "fr"))
		require.False(t, is("lang", nil, "de"))
		require.False(t, is("off", &User{ID: "1", Superuser: true}, ""))
		require.True(t, is("half", &User{ID: "3", Superuser: true}, ""), "superusers defaults to true in Django")
		on, err := h.s.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.True(t, on)
		on, err = h.s.SampleIsActive(ctx, "all")
		require.NoError(t, err)
		require.True(t, on)
		// Django's draw is uniform(0, 100) <= percent: a draw of exactly 0
		// turns a 0% sample on, as in django-waffle.
		zero, err := New(h.db.Open(t), &Config{Django: &DjangoConfig{}, Rand: func() float64 { return 0 }})
		require.NoError(t, err)
		on, err = zero.SampleIsActive(ctx, "none")
		require.NoError(t, err)
		require.True(t, on)

		// One statement per evaluation, whatever the user brings.
		db, counter := h.db.OpenCounting(t)
		counted, err := New(db, &Config{Django: &DjangoConfig{}})
		require.NoError(t, err)
		for _, u := range []*User{nil, {ID: "1"}, {ID: "1", Groups: []string{"beta", "x"}}, {ID: "not-a-key", Groups: []string{"beta"}}} {
			for _, flag := range []string{"grouped", "half", "missing"} {
				c := ctx
				if u != nil {
					c = WithUser(ctx, *u)
				}
				_, err := counted.FlagIsActive(c, flag) // prepares once
				require.NoError(t, err)
				counter.Reset()
				_, err = counted.FlagIsActive(c, flag)
				require.NoError(t, err)
				require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
			}
		}
		on, err = counted.FlagIsActive(WithUser(ctx, User{ID: "not-a-key", Groups: []string{"beta"}}), "grouped")
		require.NoError(t, err)
		require.True(t, on)

		// An identified user's percent decision is a dwf_ cookie, as in
		// django-waffle: the same visitor, the same answer on both sites.
		_, cookies := djangoEval(t, h.s, "half", &User{ID: "2", Authenticated: true}, "", "", nil)
		require.Contains(t, cookies, "dwf_half")
		for _, v := range []string{"True", "False"} {
			on, cookies := djangoEval(t, h.s, "half", &User{ID: "2", Authenticated: true}, "", "", http.Header{"Cookie": {"dwf_half=" + v}})
			require.Equal(t, v == "True", on)
			require.Equal(t, v, cookies["dwf_half"].Value, "the cookie is refreshed")
		}

		// An admin-style change in Django is seen by the next Go read.
		h.django.Run(t, "write", map[string]any{
			"flags":    []map[string]any{{"name": "listed", "users": []string{"1"}}, {"name": "off", "everyone": true}},
			"switches": []map[string]any{{"name": "sw", "active": false}},
		}, nil)
		require.True(t, is("listed", &User{ID: "1", Authenticated: true}, ""))
		require.False(t, is("listed", &User{ID: "2", Authenticated: true}, ""))
		require.True(t, is("off", nil, ""))
		on, err = h.s.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.False(t, on)
		h.django.Run(t, "write", map[string]any{"delete_flags": []string{"listed"}}, nil)
		require.False(t, is("listed", &User{ID: "1", Authenticated: true}, ""))
	})
}

func TestDjangoReadsGoWrites(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 17, 30, 15, 123456000, time.UTC)
	cfg := &Config{Now: func() time.Time { return now }, CreateMissingFlags: true}
	eachDjangoDB(t, djangotest.Options{}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{"users": []map[string]any{{"id": "7"}, {"id": "8"}}}, nil)
		s := h.s
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "go_flag", Percent: ptr(33.3), Testing: true, Staff: true,
			Languages: LanguageList{"en", "fr"}, Rollout: true, Note: "from Go", Users: []string{"7", "8"}, Groups: []string{"go_group"}}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "go_everyone", Everyone: ptr(false)}))
		require.NoError(t, s.SetSwitch(ctx, "go_switch", true))
		require.NoError(t, s.SetSample(ctx, "go_sample", 12.5))
		on, err := s.FlagIsActive(ctx, "go_missing")
		require.NoError(t, err)
		require.False(t, on)
		_, err = s.SwitchIsActive(ctx, "go_missing_switch")
		require.NoError(t, err)

		r := h.read(t)
		require.Len(t, r.Flags, 3)
		for _, f := range r.Flags {
			require.Empty(t, f.Error, "full_clean of flag %s", f.Name)
			require.True(t, strings.HasPrefix(f.Modified, "2026-12-04T17:30:15.123456"), f.Modified)
		}
		byName := map[string]int{}
		for i, f := range r.Flags {
			byName[f.Name] = i
		}
		f := r.Flags[byName["go_flag"]]
		require.Equal(t, "33.3", *f.Percent)
		require.Equal(t, "en,fr", f.Languages)
		require.Equal(t, []string{"7", "8"}, f.Users)
		require.Equal(t, []string{"go_group"}, f.Groups)
		require.Equal(t, "from Go", f.Note)
		require.True(t, f.Rollout && f.Testing && f.Staff)
		miss := r.Flags[byName["go_missing"]]
		require.True(t, miss.Superusers, "a created missing flag has Django's defaults")
		require.NotNil(t, miss.Everyone)
		require.False(t, *miss.Everyone)
		require.Len(t, r.Switches, 1)
		require.Empty(t, r.Switches[0].Error)
		require.True(t, r.Switches[0].Active)
		require.Len(t, r.Samples, 1)
		require.Empty(t, r.Samples[0].Error)
		require.Equal(t, "12.5", r.Samples[0].Percent)

		// On SQLite the times are stored as Django's backend writes them:
		// the naive UTC datetime's text.
		if h.db.Kind == testdb.SQLite {
			for _, table := range []string{"waffle_flag", "waffle_switch", "waffle_sample"} {
				times, err := rawTimes(ctx, s, table)
				require.NoError(t, err)
				require.NotEmpty(t, times, table)
				for _, v := range times {
					require.Equal(t, "2026-12-04 17:30:15.123456|2026-12-04 17:30:15.123456", v, table)
				}
			}
		}

		// Go reads back its own flag from Django's tables.
		all, err := s.ListFlags(ctx)
		require.NoError(t, err)
		require.Len(t, all, 3)
		require.Equal(t, "go_flag", all[1].Name)
		require.Equal(t, []string{"7", "8"}, all[1].Users)
		require.Equal(t, []string{"go_group"}, all[1].Groups)
		require.True(t, all[2].Superusers)
		got, err := s.GetFlag(ctx, "go_flag")
		require.NoError(t, err)
		require.Equal(t, []string{"7", "8"}, got.Users)
		require.Equal(t, []string{"go_group"}, got.Groups)
		require.InDelta(t, 33.3, *got.Percent, 1e-9)

		// What Django could not store is refused, and nothing is written.
		var ve *ValueError
		require.ErrorAs(t, s.SaveFlag(ctx, &Flag{Name: "p100", Percent: ptr(100.0)}), &ve)
		require.ErrorAs(t, s.SaveFlag(ctx, &Flag{Name: "p2", Percent: ptr(33.33)}), &ve)
		require.ErrorAs(t, s.SaveFlag(ctx, &Flag{Name: strings.Repeat("n", 101)}), &ve)
		require.ErrorAs(t, s.SaveFlag(ctx, &Flag{Name: "baduser", Users: []string{"u1"}}), &ve)
		require.ErrorAs(t, s.SetSample(ctx, "s2", 12.25), &ve)
		require.ErrorAs(t, s.SetSwitch(ctx, strings.Repeat("n", 101), true), &ve)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: strings.Repeat("n", 100), Percent: ptr(99.9)}))
		require.Len(t, h.read(t).Flags, 4)

		// Deleting a flag from Go: Django sees it gone.
		require.NoError(t, s.DeleteFlag(ctx, "go_flag"))
		require.Len(t, h.read(t).Flags, 3)
	})
}

func TestDjangoGroups(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		s := h.s
		h.django.Run(t, "write", map[string]any{
			"users": []map[string]any{{"id": "1", "groups": []string{"django_group"}}, {"id": "2"}, {"id": "3"}},
			"flags": []map[string]any{{"name": "f", "superusers": false}},
		}, nil)
		require.NoError(t, s.CreateGroup(ctx, "go_group"))
		require.NoError(t, s.AddGroupMembers(ctx, "go_group", "2", "3"))
		require.NoError(t, s.RemoveGroupMembers(ctx, "go_group", "3"))
		require.NoError(t, s.AddFlagGroups(ctx, "f", "go_group"))
		require.NoError(t, s.AddFlagUsers(ctx, "f", "3"))

		members, err := s.GroupMembers(ctx, "go_group")
		require.NoError(t, err)
		require.Equal(t, []string{"2"}, members)
		groups, err := s.UserGroups(ctx, "1")
		require.NoError(t, err)
		require.Equal(t, []string{"django_group"}, groups)
		list, err := s.ListGroups(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "django_group", list[0].Name)
		require.False(t, list[0].Created.IsZero())

		// Django sees Go's memberships, and evaluation sees them too.
		r := h.read(t)
		require.Equal(t, []string{"2"}, r.group("go_group"))
		require.Equal(t, []string{"go_group"}, r.Flags[0].Groups)
		require.Equal(t, []string{"3"}, r.Flags[0].Users)
		on, _ := djangoEval(t, s, "f", &User{ID: "2", Authenticated: true}, "", "", nil)
		require.True(t, on)
		on, _ = djangoEval(t, s, "f", &User{ID: "1", Authenticated: true}, "", "", nil)
		require.False(t, on)

		// IDs that are not auth_user keys, and names auth_group cannot hold.
		var ve *ValueError
		require.ErrorAs(t, s.AddGroupMembers(ctx, "go_group", "alice"), &ve)
		require.ErrorAs(t, s.AddFlagUsers(ctx, "f", "007"), &ve)
		require.ErrorAs(t, s.CreateGroup(ctx, strings.Repeat("g", 151)), &ve)
		require.Equal(t, r.Groups, h.read(t).Groups, "nothing was written")
	})
}

// rawTimes returns "created|modified" of every row of table, as stored text.
func rawTimes(ctx context.Context, s *Store, table string) ([]string, error) {
	rows, err := s.pool().QueryContext(ctx, "SELECT CAST(created AS TEXT) || '|' || CAST(modified AS TEXT) FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// TestDjangoAudit: in Django mode every change made through the library
// writes its audit entry in its transaction, on Django's tables as on the
// library's own, and a change that changes nothing writes none.
func TestDjangoAudit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 17, 30, 15, 0, time.UTC)
	cfg := &Config{Now: func() time.Time { return now }}
	eachDjangoDB(t, djangotest.Options{}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := WithActor(context.Background(), "ops")
		s := h.s
		h.django.Run(t, "write", map[string]any{"users": []map[string]any{{"id": "7"}, {"id": "8"}}}, nil)
		require.NoError(t, s.SetSwitch(ctx, "sw", true))
		require.NoError(t, s.SetSwitch(ctx, "sw", true)) // no change, no entry
		require.NoError(t, s.SetSwitch(ctx, "sw", false))
		require.NoError(t, s.SetSample(ctx, "sm", 12.5))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "f", Users: []string{"7"}, Groups: []string{"g"}}))
		require.NoError(t, s.AddFlagUsers(ctx, "f", "8"))
		require.NoError(t, s.AddGroupMembers(ctx, "g", "7"))
		require.NoError(t, s.Set(ctx, "color", "blue"))
		_, err := s.AddWindow(ctx, FlagMember{Flag: "f", User: "8", Start: now.Add(-time.Hour)})
		require.NoError(t, err)
		_, err = s.SyncMembership(ctx, "f")
		require.NoError(t, err)
		active, err := s.SyncUserMembership(ctx, "f", "8") // already a member: no entry
		require.NoError(t, err)
		require.True(t, active)
		require.NoError(t, s.DeleteSwitch(ctx, "sw"))

		entries, err := s.History(ctx, HistoryFilter{})
		require.NoError(t, err)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			require.Equal(t, "ops", e.Actor)
			require.True(t, e.At.Equal(now), "entry %d at %v", e.ID, e.At)
			got = append(got, e.Action+" "+e.Kind+" "+e.Name)
		}
		require.Equal(t, []string{
			"create switch sw", "update switch sw", "create sample sm",
			"create group g", "create flag f", "update flag f", "update group g",
			"create string_flag color", "create window f", "sync flag f", "delete switch sw",
		}, got)
		byAction := map[string]HistoryEntry{}
		for _, e := range entries {
			byAction[e.Action+" "+e.Kind] = e
		}
		require.JSONEq(t, `{"active":true}`, string(byAction["update switch"].Before))
		require.JSONEq(t, `{"active":false}`, string(byAction["update switch"].After))
		require.JSONEq(t, `{"percent":12.5,"note":""}`, string(byAction["create sample"].After))
		require.JSONEq(t, `{"active":1,"added":1,"removed":0}`, string(byAction["sync flag"].After))

		// Django sees the changes the entries describe.
		r := h.read(t)
		require.Equal(t, []string{"7"}, r.group("g"))
	})
}

// TestDjangoRamp: Django's waffle_flag has no ramp column, so a ramp in
// Django mode is a *ValueError naming the field and nothing is written;
// a flag saved without one keeps its percent.
func TestDjangoRamp(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		s := h.s
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "f", Percent: ptr(40.0)}))
		ramp := LinearRamp(time.Now(), time.Now().Add(time.Hour), 0, 100)
		for _, err := range []error{
			s.SetFlagRamp(ctx, "f", ramp),
			s.SetFlagRamp(ctx, "f", nil),
			s.SaveFlag(ctx, &Flag{Name: "f", Percent: ptr(10.0), Ramp: ramp}),
		} {
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, "ramp", ve.Field)
			require.Equal(t, "f", ve.Name)
			require.Contains(t, err.Error(), "Django mode")
		}
		f, err := s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.Nil(t, f.Ramp)
		require.Equal(t, 40.0, *f.Percent)
		entries, err := s.History(ctx, HistoryFilter{Name: "f"})
		require.NoError(t, err)
		require.Len(t, entries, 1) // the create only
	})
}

// Django mode's versions come in up/down pairs with the same numbers and
// names in both dialects, named apart from the library's own.
func TestDjangoMigrations(t *testing.T) {
	t.Parallel()
	pg, err := DjangoMigrations("postgres")
	require.NoError(t, err)
	lite, err := DjangoMigrations("sqlite")
	require.NoError(t, err)
	require.Len(t, lite, len(pg))
	for i, m := range pg {
		require.Equal(t, i+1, m.Version)
		require.Equal(t, m.Name, lite[i].Name)
		require.True(t, strings.HasPrefix(m.Name, "django_"), m.Name)
		for _, mm := range []Migration{m, lite[i]} {
			require.NotEmpty(t, strings.TrimSpace(mm.Up))
			require.NotEmpty(t, strings.TrimSpace(mm.Down))
		}
	}
	_, err = DjangoMigrations("mysql")
	require.ErrorIs(t, err, ErrUnsupportedDatabase)
}

// TestDjangoEnsureAndDetail: Ensure seeds Django's tables (rows Django's
// full_clean accepts, with their audit entries), and FlagDetail names the
// auth_group that matched and Django's note and modified time.
func TestDjangoEnsureAndDetail(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 17, 30, 15, 123456000, time.UTC)
	cfg := &Config{Now: func() time.Time { return now }}
	eachDjangoDB(t, djangotest.Options{}, cfg, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		s := h.s
		h.django.Run(t, "write", map[string]any{"users": []map[string]any{{"id": "7", "groups": []string{"beta"}}}}, nil)
		seed := Seed{
			Flags:       []Flag{{Name: "f", Groups: []string{"beta", "alpha"}, Note: "seeded"}},
			Switches:    []Switch{{Name: "sw", Active: true}},
			Samples:     []Sample{{Name: "sm", Percent: 50}},
			StringFlags: map[string]any{"color": "blue"},
		}
		done, err := s.Ensure(ctx, seed)
		require.NoError(t, err)
		require.Equal(t, []string{"f"}, done.Flags)
		done, err = s.Ensure(ctx, seed)
		require.NoError(t, err)
		require.Empty(t, done.Flags)

		r := h.read(t)
		require.Len(t, r.Flags, 1)
		require.Empty(t, r.Flags[0].Error)
		require.Equal(t, []string{"alpha", "beta"}, r.Flags[0].Groups)
		require.Len(t, r.Switches, 1)
		require.Empty(t, r.Switches[0].Error)
		require.Len(t, r.Samples, 1)
		require.Empty(t, r.Samples[0].Error)
		entries, err := s.History(ctx, HistoryFilter{})
		require.NoError(t, err)
		require.Len(t, entries, 5) // group alpha (beta was Django's), the flag, switch, sample, string flag

		d, err := s.FlagDetail(WithUser(ctx, User{ID: "7", Authenticated: true}), "f")
		require.NoError(t, err)
		require.True(t, d.Active)
		require.Equal(t, ReasonGroup, d.Reason)
		require.Equal(t, "beta", d.Group)
		m, err := s.FlagDetailMeta(WithUser(ctx, User{ID: "7", Authenticated: true}), "f")
		require.NoError(t, err)
		require.Equal(t, d, m.FlagDetail)
		require.Equal(t, "seeded", m.Note)
		require.True(t, m.Modified.Equal(now), "modified %v", m.Modified)
		d, err = s.FlagDetail(WithUser(ctx, User{ID: "8", Groups: []string{"alpha"}}), "f")
		require.NoError(t, err)
		require.Equal(t, "alpha", d.Group)
		m, err = s.FlagDetailMeta(WithUser(ctx, User{ID: "8", Groups: []string{"alpha"}}), "f")
		require.NoError(t, err)
		require.Equal(t, d, m.FlagDetail)
		require.Equal(t, "seeded", m.Note)
		m, err = s.FlagDetailMeta(ctx, "f")
		require.NoError(t, err)
		require.Equal(t, ReasonNoMatch, m.Reason)
		require.Equal(t, "seeded", m.Note)

		_, err = s.Ensure(ctx, Seed{Flags: []Flag{{Name: "r", Ramp: LinearRamp(now, now.Add(time.Hour), 0, 100)}}})
		var ve *ValueError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "ramp", ve.Field)
	})
}
