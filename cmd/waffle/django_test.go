package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/djangotest"
	"github.com/gowaffle/waffle/internal/testdb"
)

// djangoCLI runs the real binary on a database the test Django project
// (internal/djangotest) migrated, and Django reads back what it wrote.
type djangoCLI struct {
	t  *testing.T
	db *testdb.DB
	p  *djangotest.Project
}

// run runs the binary with the database and env ("K=V") in its environment.
func (c *djangoCLI) run(env []string, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	return runEnv(c.t, append([]string{envDatabase + "=" + c.db.DSN}, env...), args...)
}

// runEnv runs the binary with env ("K=V") added to a clean Django setting.
func runEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), envDatabase+"=", envDjango+"=", envDjangoTimeZone+"=")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

// ok runs the binary in Django mode (by $WAFFLE_DJANGO) and requires success.
func (c *djangoCLI) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run([]string{envDjango + "=1"}, args...)
	require.Equal(c.t, 0, code, "waffle %q: %s", args, errOut)
	require.Empty(c.t, errOut)
	return out
}

// fails runs the binary in Django mode and requires exit status 1 with one
// line on stderr, which it returns.
func (c *djangoCLI) fails(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run([]string{envDjango + "=1"}, args...)
	require.Equal(c.t, 1, code, "waffle %q: %s%s", args, out, errOut)
	require.Equal(c.t, 1, strings.Count(errOut, "\n"), errOut)
	return errOut
}

func (c *djangoCLI) json(v any, args ...string) {
	c.t.Helper()
	require.NoError(c.t, json.Unmarshal([]byte(c.ok(args...)), v), "waffle %q", args)
}

// tables lists the tables and views of the test database.
func (c *djangoCLI) tables() []string {
	c.t.Helper()
	gdb := c.db.Open(c.t)
	q := "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if c.db.Kind == testdb.Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
	}
	var names []string
	require.NoError(c.t, gdb.Raw(q).Scan(&names).Error)
	if sqlDB, err := gdb.DB(); err == nil {
		_ = sqlDB.Close()
	}
	return names
}

// createdBy lists the tables and views the up steps of ms create.
func createdBy(ms []waffle.Migration) []string {
	re := regexp.MustCompile(`(?i)CREATE (?:TABLE|VIEW) IF NOT EXISTS (\w+)`)
	var out []string
	for _, m := range ms {
		for _, sm := range re.FindAllStringSubmatch(m.Up, -1) {
			out = append(out, sm[1])
		}
	}
	slices.Sort(out)
	return out
}

// djangoRead is gotest.py read's answer: every row, full_clean()ed by Django.
type djangoRead struct {
	Flags []struct {
		Name, Note, Error string
		Everyone          *bool
		Percent           *string
		Staff             bool
		Users, Groups     []string
	}
	Switches []struct {
		Name, Error string
		Active      bool
	}
	Samples []struct {
		Name, Percent, Error string
	}
	Groups []struct {
		Name  string
		Users []string
	}
}

func (c *djangoCLI) read() djangoRead {
	c.t.Helper()
	var r djangoRead
	c.p.Run(c.t, "read", struct{}{}, &r)
	return r
}

// The command in Django mode on a database Django migrated, on both
// databases: migrate creates only the library's own tables; it reads what
// Django's ORM wrote; Django reads back, and full_clean()s, what it wrote.
func TestDjangoMode(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		c := &djangoCLI{t: t, db: db, p: djangotest.New(t, db, djangotest.Options{})}
		c.p.Migrate(t)
		c.p.Run(t, "write", map[string]any{
			"users":    []map[string]any{{"id": "1"}, {"id": "2"}},
			"flags":    []map[string]any{{"name": "admin_flag", "everyone": true, "note": "from django", "users": []string{"2"}}},
			"switches": []map[string]any{{"name": "dj_switch", "active": true}},
			"samples":  []map[string]any{{"name": "dj_sample", "percent": "33.3"}},
		}, nil)
		djangoOnly := c.tables()

		// Without Django mode: refused, naming --django, nothing created.
		_, errOut, code := c.run(nil, "migrate")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "waffle_flag_users")
		require.Contains(t, errOut, "--django")
		require.Equal(t, djangoOnly, c.tables())
		errLine := c.fails("flag", "--list")
		require.Contains(t, errLine, "run `waffle --django migrate` first")

		// Django mode: only the library's own tables are created.
		out, errOut, code := c.run(nil, "migrate", "up", "--django")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "Applied version 1: django_own_tables")
		ms, err := waffle.DjangoMigrations(db.Kind)
		require.NoError(t, err)
		var added []string
		for _, name := range c.tables() {
			if !slices.Contains(djangoOnly, name) {
				added = append(added, name)
			}
		}
		want := append(createdBy(ms), "waffle_schema_version") // the versions applied
		slices.Sort(want)
		require.Equal(t, want, added)
		require.Subset(t, c.tables(), djangoOnly)
		var status []migrationJSON
		c.json(&status, "migrate", "status", "--json")
		require.Len(t, status, len(ms))
		for _, m := range status {
			require.True(t, m.Applied, "version %d", m.Version)
		}

		// It reads what Django's ORM wrote.
		var flags []waffle.Flag
		c.json(&flags, "flag", "--list", "--json")
		require.Len(t, flags, 1)
		require.Equal(t, "admin_flag", flags[0].Name)
		require.Equal(t, "from django", flags[0].Note)
		require.Equal(t, []string{"2"}, flags[0].Users)
		var switches []waffle.Switch
		c.json(&switches, "switch", "--list", "--json")
		require.Len(t, switches, 1)
		require.True(t, switches[0].Active)
		var samples []waffle.Sample
		c.json(&samples, "sample", "--list", "--json")
		require.Len(t, samples, 1)
		require.InDelta(t, 33.3, samples[0].Percent, 1e-9)

		// Its writes: Django reads them back and full_clean()s them.
		c.ok("--actor", "ops", "flag", "beta", "--create", "--percent", "12.5", "--staff", "--user", "1", "--group", "testers", "--note", "cli")
		c.ok("flag", "admin_flag", "--everyone", "off") // only that field
		c.ok("switch", "cli_switch", "on", "--create")
		c.ok("sample", "cli_sample", "2.5", "--create")
		c.ok("group", "add", "testers", "2")
		// Refused under Django's limits: nothing written.
		require.Contains(t, c.fails("flag", "beta", "--percent", "99.95"), "99.9")
		require.Contains(t, c.fails("flag", "beta", "--percent", "100"), "99.9")
		c.fails("flag", "beta", "--user", "999") // no such auth_user
		c.fails("flag", strings.Repeat("n", 101), "--create")

		r := c.read()
		require.Len(t, r.Flags, 2)
		admin, beta := r.Flags[0], r.Flags[1]
		require.Equal(t, "admin_flag", admin.Name)
		require.NotNil(t, admin.Everyone)
		require.False(t, *admin.Everyone)
		require.Equal(t, "from django", admin.Note, "a field not given is kept")
		require.Equal(t, []string{"2"}, admin.Users)
		require.Equal(t, "beta", beta.Name)
		require.Empty(t, beta.Error)
		require.Equal(t, "12.5", *beta.Percent)
		require.True(t, beta.Staff)
		require.Equal(t, "cli", beta.Note)
		require.Equal(t, []string{"1"}, beta.Users)
		require.Equal(t, []string{"testers"}, beta.Groups)
		require.Len(t, r.Switches, 2)
		require.Equal(t, "cli_switch", r.Switches[0].Name)
		require.True(t, r.Switches[0].Active)
		require.Empty(t, r.Switches[0].Error)
		require.Len(t, r.Samples, 2)
		require.Equal(t, "cli_sample", r.Samples[0].Name)
		require.Equal(t, "2.5", r.Samples[0].Percent)
		require.Empty(t, r.Samples[0].Error)
		require.Contains(t, r.Groups, struct {
			Name  string
			Users []string
		}{"testers", []string{"2"}})

		// A change in Django's admin is seen by the next command.
		c.p.Run(t, "write", map[string]any{"flags": []map[string]any{{"name": "beta", "percent": "50.0"}}}, nil)
		var f waffle.Flag
		c.json(&f, "flag", "beta", "--json")
		require.NotNil(t, f.Percent)
		require.InDelta(t, 50.0, *f.Percent, 1e-9)

		// The audit trail of the command's changes.
		var history []struct {
			Actor, Action, Kind, Name string
		}
		c.json(&history, "history", "--json", "--name", "beta")
		require.NotEmpty(t, history)
		require.Equal(t, "ops", history[len(history)-1].Actor)
		require.Equal(t, "create", history[len(history)-1].Action)

		// delete removes Django's row.
		require.Contains(t, c.ok("delete", "--flag", "admin_flag"), "Deleted 1 Flags")
		r = c.read()
		require.Len(t, r.Flags, 1)

		// migrate down drops the library's own tables only: Django still
		// reads its own.
		out = c.ok("migrate", "down", "--to", "0")
		require.Contains(t, out, "Reverted version 1")
		require.Equal(t, djangoOnly, slices.DeleteFunc(c.tables(), func(n string) bool { return n == "waffle_schema_version" }))
		r = c.read()
		require.Len(t, r.Flags, 1)
		require.Equal(t, "beta", r.Flags[0].Name)
	})
}

// sync in Django mode does waffle-window's sync_flag_membership: windows
// Django wrote, dates judged in --django-time-zone (or
// $WAFFLE_DJANGO_TIME_ZONE), into the WAFFLE_<flag> auth_group Django reads.
func TestDjangoModeSync(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		c := &djangoCLI{t: t, db: db, p: djangotest.New(t, db, djangotest.Options{})}
		c.p.Migrate(t)
		c.ok("migrate")

		// Kiritimati (UTC+14) and Pago Pago (UTC-11) never share a date: a
		// window on Kiritimati's today is live there and not in Pago Pago.
		kiritimati, err := time.LoadLocation("Pacific/Kiritimati")
		require.NoError(t, err)
		today := time.Now().In(kiritimati).Format(time.DateOnly)
		c.p.Run(t, "write", map[string]any{
			"users": []map[string]any{{"id": "1"}, {"id": "2"}, {"id": "3"}},
			"flags": []map[string]any{{"name": "beta"}},
			"windows": []map[string]any{
				{"user": "1", "flag": "beta", "start": today, "end": today},
				{"user": "2", "flag": "beta", "start": today, "end": today},
				{"user": "3", "flag": "beta", "start": "2000-01-01", "end": "2000-01-02"},
			},
		}, nil)

		// The library's own window (an instant, from now on) counts too.
		// Django mode given by option: the sync it names is in Django mode too.
		out, errOut, code := c.run(nil, "window", "add", "--django", "beta", "3")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "It takes effect at the next `waffle sync --django beta`.")
		var windows []map[string]any
		c.json(&windows, "window", "list", "--json")
		require.Len(t, windows, 1, "only the library's own windows")

		var res syncJSON
		c.json(&res, "sync", "--json", "--django-time-zone", "Pacific/Pago_Pago")
		require.Len(t, res.Flags, 1)
		require.Equal(t, 1, res.Flags[0].Active, "Django's windows not yet live in Pago Pago")

		out, errOut, code = c.run([]string{envDjango + "=true", envDjangoTimeZone + "=Pacific/Kiritimati"}, "sync", "--json")
		require.Equal(t, 0, code, errOut)
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		if time.Now().In(kiritimati).Format(time.DateOnly) != today {
			t.Skip("midnight passed in Kiritimati during the test")
		}
		require.Len(t, res.Flags, 1)
		require.Nil(t, res.Flags[0].Error)
		require.Equal(t, 3, res.Flags[0].Active)
		require.Equal(t, 2, res.Flags[0].Added)

		r := c.read()
		require.Equal(t, []string{waffle.SyncGroupName("beta")}, r.Flags[0].Groups, "attached through waffle_flag_groups")
		require.Contains(t, r.Groups, struct {
			Name  string
			Users []string
		}{waffle.SyncGroupName("beta"), []string{"1", "2", "3"}})
	})
}

// migrate in Django mode on a database Django never migrated names the
// missing table and the manage.py command, and creates nothing.
func TestDjangoModeMissingTables(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		c := &djangoCLI{t: t, db: db}
		before := c.tables()
		errLine := c.fails("migrate")
		require.Contains(t, errLine, "auth_group is missing")
		require.Contains(t, errLine, "python manage.py migrate")
		require.Equal(t, before, c.tables())
	})
}

// Django-mode options that cannot be used are usage errors (exit status 2),
// before any database is opened; migrate sql prints Django mode's versions.
func TestDjangoModeOptions(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "none.db")
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--django-time-zone", "Europe/Paris", "flag", "--list"}, "--django-time-zone applies in Django mode only"},
		{[]string{envDjangoTimeZone + "=Europe/Paris"}, []string{"flag", "--list"}, "$WAFFLE_DJANGO_TIME_ZONE applies in Django mode only"},
		{nil, []string{"--django", "--django-time-zone", "Mars/Olympus", "flag", "--list"}, `unknown time zone "Mars/Olympus"`},
		{nil, []string{"flag", "--list", "--django", "--django-time-zone", "Local"}, "not Local"},
		{[]string{envDjango + "=maybe"}, []string{"flag", "--list"}, `$WAFFLE_DJANGO="maybe": want true or false`},
		{nil, []string{"--django", "migrate", "sql", "--dialect", "sqlite"}, "in Django mode give --version N"},
		{nil, []string{"--django", "migrate", "export", "--format", "goose", "--dir", t.TempDir()}, "not in Django mode"},
	} {
		out, errOut, code := runEnv(t, append([]string{envDatabase + "=" + dbPath}, c.env...), c.args...)
		require.Equal(t, 2, code, "%q: %s", c.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, c.want, "%q", c.args)
	}
	_, err := os.Stat(dbPath)
	require.ErrorIs(t, err, os.ErrNotExist, "no database was opened")

	// --django=false on the command overrides $WAFFLE_DJANGO.
	out, errOut, code := runEnv(t, []string{envDjango + "=1"}, "migrate", "sql", "--dialect", "sqlite", "--version", "1", "--django=false")
	require.Equal(t, 0, code, errOut)
	lib, err := waffle.Migrations("sqlite")
	require.NoError(t, err)
	require.Equal(t, lib[0].Up, out)

	for _, d := range []string{"sqlite", "postgres"} {
		ms, err := waffle.DjangoMigrations(d)
		require.NoError(t, err)
		out, errOut, code := runEnv(t, []string{envDjango + "=1"}, "migrate", "sql", "--dialect", d, "--version", "1")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, ms[0].Up, out)
		out, errOut, code = runEnv(t, nil, "--django", "migrate", "sql", "--dialect", d, "--version", "1", "--down")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, ms[0].Down, out)
	}
	ms, err := waffle.DjangoMigrations("sqlite")
	require.NoError(t, err)
	_, errOut, code = runEnv(t, []string{envDatabase + "=" + dbPath}, "--django", "migrate", "down")
	require.Equal(t, 2, code)
	for _, table := range createdBy(ms) {
		require.Contains(t, errOut, table, "migrate down without --to names what it would drop")
	}
}
