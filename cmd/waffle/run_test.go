package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"NoCommand", nil, "no command given"},
		{"UnknownCommand", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"UnknownGlobalOption", []string{"--nope", "switch"}, "flag provided but not defined: -nope"},
		{"UnknownOption", []string{"switch", "--nope"}, "switch: flag provided but not defined: -nope"},
		{"HelpUnknown", []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"TooManyArguments", []string{"switch", "a", "on", "extra"}, "switch: too many arguments"},
		{"MigrateUnknownSubcommand", []string{"migrate", "sideways"}, `migrate: unknown subcommand "sideways"`},
		{"MigrateSQLNoDialect", []string{"migrate", "sql"}, "migrate sql: give --dialect"},
		{"MigrateSQLBadDialect", []string{"migrate", "sql", "--dialect", "mysql"}, `unknown dialect "mysql"`},
		{"DeleteNothing", []string{"delete"}, "delete: give at least one name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &cli{t: t, db: c.db}
			line := c.fails(2, tc.args...)
			require.Contains(t, line, tc.msg)
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	out := c.ok("help")
	require.Contains(t, out, "Usage: waffle [--database DB] [--actor NAME] COMMAND")
	for _, cmd := range commands() {
		require.Contains(t, out, "  "+cmd.name+" ", "help lists %s", cmd.name)
		// Every command has a usage of its own, printed by -h and by help.
		h := c.ok(cmd.name, "-h")
		require.Contains(t, h, "Usage: waffle "+cmd.name, cmd.name)
		require.Contains(t, h, "-database", cmd.name)
		require.Equal(t, h, c.ok("help", cmd.name))
	}
	require.Equal(t, out, c.ok("-h"))
}

func TestVersion(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	require.Regexp(t, `^waffle \S+\n$`, c.ok("version"))
}

func TestNoDatabase(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "status"},
		{"switch", "--list"},
		{"switch", "x", "on"},
		{"delete", "--switch", "x"},
	} {
		line := c.fails(1, args...)
		require.Contains(t, line, "no database: give --database", "%q", args)
	}
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	c := &cli{t: t}
	for _, target := range []string{
		"postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable",
		filepath.Join(t.TempDir(), "no", "such", "dir", "app.db"),
	} {
		line := c.fails(1, "--database", target, "switch", "--list")
		require.Contains(t, line, "opening the database")
		require.NotContains(t, line, "secret", "the password is not printed")
	}
}

func TestUnmigratedDatabase(t *testing.T) {
	eachEmptyDB(t, func(t *testing.T, c *cli) {
		line := c.fails(1, "switch", "--list")
		require.Contains(t, line, "run `waffle migrate` first")
	})
}

// --database is taken before the command, after it, and from the
// environment, in that order of precedence: the command's own first.
func TestDatabaseOption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env, global, local := filepath.Join(dir, "env.db"), filepath.Join(dir, "global.db"), filepath.Join(dir, "local.db")
	c := &cli{t: t, db: &testdb.DB{Kind: testdb.SQLite, DSN: env}}
	c.ok("migrate")
	c.ok("--database", global, "migrate")
	c.ok("migrate", "--database", local)
	c.ok("switch", "in_env", "on", "--create")
	c.ok("--database", global, "switch", "in_global", "on", "--create")
	c.ok("--database", global, "switch", "in_local", "on", "--create", "--database", local)
	require.Contains(t, c.ok("switch", "--list"), "in_env")
	require.NotContains(t, c.ok("switch", "--list"), "in_global")
	require.Contains(t, c.ok("--database", global, "switch", "--list"), "in_global")
	require.NotContains(t, c.ok("--database", global, "switch", "--list"), "in_local")
	require.Contains(t, c.ok("switch", "--list", "--database", local), "in_local")
}

// Options may follow positional arguments, and "--" ends the options so that
// a name may start with "-".
func TestOptionsAnywhere(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("switch", "--create", "a", "on")
		c.ok("switch", "b", "--create", "on")
		c.ok("switch", "c", "on", "--create")
		c.ok("switch", "--create", "--", "-dash", "on")
		out := c.ok("switch", "--list")
		for _, n := range []string{"a", "b", "c", "-dash"} {
			require.Contains(t, out, "\n"+n+" ")
		}
	})
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := &app{stderr: &buf}
	require.Equal(t, 0, a.exitCode(nil))
	require.Empty(t, buf.String())

	buf.Reset()
	require.Equal(t, 1, a.exitCode(errors.New("waffle: line one\nline two")))
	require.Equal(t, "waffle: line one line two\n", buf.String(), "one line")

	buf.Reset()
	require.Equal(t, 1, a.exitCode(context.Canceled))
	require.Equal(t, "waffle: interrupted\n", buf.String())

	buf.Reset()
	require.Equal(t, 2, a.exitCode(&usageError{msg: "bad", usage: "Usage: waffle x\n"}))
	require.Equal(t, "waffle: bad\n\nUsage: waffle x\n", buf.String())
}

func TestInterrupted(t *testing.T) {
	t.Parallel()
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	err := a.run(cctx, []string{"--database", filepath.Join(t.TempDir(), "x.db"), "migrate"})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, a.exitCode(err))
}
