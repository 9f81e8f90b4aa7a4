package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestGetSet(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Contains(t, c.fails(1, "get", "color"), `no such flag "color"`)

		require.Equal(t, "String flag color: \"blue\"\n", c.ok("set", "color", "blue"))
		v, err := c.s.Get(ctx, "color")
		require.NoError(t, err)
		require.Equal(t, "blue", v.String())
		require.Equal(t, "blue\n", c.ok("get", "color"))
		require.Equal(t, "\"blue\"\n", c.ok("get", "color", "--json"))

		// The empty string is a value (false for flagday), not NULL.
		c.ok("set", "color", "")
		require.Equal(t, "\n", c.ok("get", "color"))
		require.Equal(t, "\"\"\n", c.ok("get", "color", "--json"))

		require.Equal(t, "String flag color: NULL\n", c.ok("set", "--null", "color"))
		v, err = c.s.Get(ctx, "color")
		require.NoError(t, err)
		require.True(t, v.Null())
		require.Equal(t, "", c.ok("get", "color"), "NULL prints nothing")
		require.Equal(t, "null\n", c.ok("get", "color", "--json"))

		// Values are stored as they are: "true" is not "True".
		c.ok("set", "x", "true")
		require.Equal(t, "true\n", c.ok("get", "x"))
		// "--" ends the options: then names and values may start with "-".
		c.ok("set", "--", "-n", "-5")
		require.Equal(t, "-5\n", c.ok("get", "--", "-n"))
		require.Contains(t, c.fails(2, "set", "n", "-5"), "flag provided but not defined: -5")
		long := strings.Repeat("ß", 255)
		c.ok("set", "--", long, "<&> ünïcode\ttab")
		require.Equal(t, "<&> ünïcode\ttab\n", c.ok("get", long))
	})
}

func TestGetSetErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"get"}, "missing arguments"},
			{2, []string{"get", "a", "b"}, "too many arguments"},
			{2, []string{"set", "a"}, "give a value, or --null"},
			{2, []string{"set", "--null", "a", "b"}, "--null takes no value"},
			{1, []string{"set", "set_from_json", "x"}, "is reserved"},
			{1, []string{"get", "_x"}, `invalid string flag name "_x"`},
			{1, []string{"set", "a", "nul\x00byte"}, "invalid value"},
		} {
			require.Contains(t, c.fails(tc.code, tc.args...), tc.msg, "%q", tc.args)
		}
		flags, err := c.s.ListStringFlags(ctx)
		require.NoError(t, err)
		require.Empty(t, flags)
	})
}

// dump-json writes what load-json reads back unchanged: NULL, the empty
// string, unicode, JSON's special characters and 255-rune names included.
func TestDumpLoadRoundTrip(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Equal(t, "{}\n", c.ok("dump-json"))
		want := map[string]any{
			"null":                   nil,
			"empty":                  "",
			"true":                   "True",
			"unicode ünï 名前 🎉":       "värde 値 🎉",
			strings.Repeat("名", 255): strings.Repeat("x", 1000),
			"quotes":                 `"q" \ '/' <b>&amp;</b>`,
			"newline":                "a\nb\r\n\tc\u2028",
			"number":                 "1e+21",
			strings.Repeat("a", 255): "255 ASCII",
			"-dash":                  "leading dash",
		}
		for k, v := range want {
			require.NoError(t, c.s.Set(ctx, k, v))
		}
		dump := c.ok("dump-json")
		var got map[string]*string
		require.NoError(t, json.Unmarshal([]byte(dump), &got))
		require.Len(t, got, len(want))
		require.Nil(t, got["null"])
		require.Equal(t, "", *got["empty"])
		require.Contains(t, dump, `"quotes": "\"q\" \\ '/' <b>&amp;</b>"`, "no HTML escaping")

		// Into a second database, through a file and through stdin.
		other := newSQLiteCLI(t)
		file := filepath.Join(t.TempDir(), "flags.json")
		require.NoError(t, os.WriteFile(file, []byte(dump), 0o600))
		require.Equal(t, "Loaded 10 string flags from "+file+"\n", other.ok("load-json", file))
		require.Equal(t, dump, other.ok("dump-json"), "the same dump")
		again := newSQLiteCLI(t)
		r := again.runIn(dump, "load-json", "-")
		require.NoError(t, r.err, r.stderr)
		require.Equal(t, "Loaded 10 string flags from standard input\n", r.stdout)
		require.Equal(t, dump, again.ok("dump-json"))

		// Back into the first: nothing changes.
		r = c.runIn(dump, "load-json", "-")
		require.NoError(t, r.err, r.stderr)
		require.Equal(t, dump, c.ok("dump-json"))
		v, err := c.s.Get(ctx, "null")
		require.NoError(t, err)
		require.True(t, v.Null(), "null stays NULL")

		// --output writes a file.
		out := filepath.Join(t.TempDir(), "out.json")
		require.Equal(t, "", c.ok("dump-json", "--output", out))
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Equal(t, dump, string(b))
	})
}

// Bad JSON is an error and nothing is written, even when part of the input
// was valid.
func TestLoadJSONAllOrNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.NoError(t, c.s.Set(ctx, "keep", "old"))
		before := c.ok("dump-json")
		for _, tc := range []struct{ name, input, msg string }{
			{"Syntax", `{"keep": "new", "a": }`, "invalid JSON"},
			{"Nested", `{"keep": "new", "a": {"b": 1}}`, `at key "a"`},
			{"BadKey", `{"keep": "new", "_a": "x"}`, `at key "_a"`},
			{"Reserved", `{"keep": "new", "set_from_json": "x"}`, `at key "set_from_json"`},
			{"Empty", ``, "invalid JSON"},
			{"Scalar", `"keep"`, "invalid JSON"},
			{"ArrayOfScalars", `[{"keep": "new"}, 1]`, "invalid JSON"},
			{"Truncated", `{"keep": "new"`, "invalid JSON"},
		} {
			r := c.runIn(tc.input, "load-json", "-")
			require.Error(t, r.err, tc.name)
			require.Equal(t, 1, r.code, tc.name)
			require.ErrorIs(t, r.err, waffle.ErrInvalidJSON, tc.name)
			require.Contains(t, r.stderr, tc.msg, tc.name)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			require.Equal(t, before, c.ok("dump-json"), "%s: nothing written", tc.name)
		}
		require.Contains(t, c.fails(1, "load-json", filepath.Join(t.TempDir(), "missing.json")), "reading the JSON")
		require.Contains(t, c.fails(2, "load-json"), "missing arguments")
	})
}

func TestLoadJSONForms(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		input := "\xEF\xBB\xBF" + `[{"a": "1", "b": true, "c": false}, {"a": 2.50, "d": null}]`
		r := c.runIn(input, "load-json", "-")
		require.NoError(t, r.err, r.stderr)
		require.Equal(t, "Loaded 4 string flags from standard input\n", r.stdout)
		require.JSONEq(t, `{"a": "2.50", "b": "True", "c": "", "d": null}`, c.ok("dump-json"))
	})
}

func TestDeleteStringFlags(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("set", "a", "1")
		c.ok("set", "--null", "b")
		require.Equal(t, "Deleted 2 String flags\nNot found: string \"c\"\n", c.ok("delete", "--string", "a", "--string", "b", "--string", "c"))
		require.Equal(t, "{}\n", c.ok("dump-json"))
	})
}

// newSQLiteCLI returns a cli on a new, migrated SQLite database.
func newSQLiteCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, db: testdbSQLite(t)}
	c.ok("migrate")
	return c
}
