package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// cli runs the command in-process against one test database, given through
// $WAFFLE_DATABASE_URL as a user would.
type cli struct {
	t  *testing.T
	db *testdb.DB
	s  *waffle.Store // under eachDB: a store of its own on db, to check what the command did
}

// eachDB runs fn as parallel subtests on SQLite and PostgreSQL, each with a
// new database that `waffle migrate` has set up and c.s open on it, in
// parallel with other tests.
func eachDB(t *testing.T, fn func(t *testing.T, c *cli)) {
	t.Helper()
	eachEmptyDB(t, func(t *testing.T, c *cli) {
		c.ok("migrate")
		c.s = c.store()
		fn(t, c)
	})
}

// eachEmptyDB runs fn as parallel subtests on SQLite and PostgreSQL, each
// with a new database without the schema, in parallel with other tests.
func eachEmptyDB(t *testing.T, fn func(t *testing.T, c *cli)) {
	t.Helper()
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		fn(t, &cli{t: t, db: db})
	})
}

// migrations returns the schema's versions in the test database's dialect.
func (c *cli) migrations() []waffle.Migration {
	c.t.Helper()
	ms, err := waffle.Migrations(c.db.Kind)
	require.NoError(c.t, err)
	return ms
}

// result is what one run printed and returned.
type result struct {
	stdout, stderr string
	err            error
	code           int
}

// runIn runs args with stdin, and the exit status main would return.
func (c *cli) runIn(stdin string, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdout: &out, stderr: &errOut, stdin: strings.NewReader(stdin),
		getenv: func(k string) string {
			if k == envDatabase && c.db != nil {
				return c.db.DSN
			}
			return ""
		},
	}
	err := a.run(context.Background(), args)
	code := a.exitCode(err)
	return result{stdout: out.String(), stderr: errOut.String(), err: err, code: code}
}

// flags creates the flags named, with the command.
func (c *cli) flags(names ...string) {
	c.t.Helper()
	for _, n := range names {
		c.ok("flag", n, "--create")
	}
}

// json runs args, requires success and decodes the output into v.
func (c *cli) json(v any, args ...string) {
	c.t.Helper()
	require.NoError(c.t, json.Unmarshal([]byte(c.ok(args...)), v), "waffle %q", args)
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn("", args...)
}

// ok runs args, requires success and returns the output.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.NoError(c.t, r.err, "waffle %q: stderr %s", args, r.stderr)
	require.Empty(c.t, r.stderr)
	return r.stdout
}

// fails runs args and requires the exit status code, with one line on
// stderr for status 1 and the command's usage after the message for status
// 2. It returns the first line of stderr.
func (c *cli) fails(code int, args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.Error(c.t, r.err, "waffle %q: stdout %s", args, r.stdout)
	require.Equal(c.t, code, r.code, "waffle %q: %v", args, r.err)
	first, rest, _ := strings.Cut(r.stderr, "\n")
	require.True(c.t, strings.HasPrefix(first, "waffle: "), "stderr %q", r.stderr)
	if code == 1 {
		require.Empty(c.t, rest, "one line on stderr: %q", r.stderr)
	} else {
		require.Contains(c.t, rest, "Usage: waffle", "the usage follows the message")
	}
	return first
}

// store opens a store of its own on the test's database, to check what the
// command did: with the command's own drivers, so that one process never
// links two SQLite libraries on one file.
func (c *cli) store() *waffle.Store {
	c.t.Helper()
	db, err := openDB(c.db.DSN)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { closeDB(db) })
	s, err := waffle.New(db, nil)
	require.NoError(c.t, err)
	return s
}

var ctx = context.Background()

// lines splits output into lines with the padding trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		out = append(out, strings.TrimRight(l, "\n"))
	}
	return out
}

// testdbSQLite returns a new, empty SQLite database.
func testdbSQLite(t *testing.T) *testdb.DB {
	t.Helper()
	return testdb.New(t, testdb.SQLite)
}
