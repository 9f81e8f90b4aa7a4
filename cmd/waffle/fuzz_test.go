package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Any command line, without a database, ends in success, a usage error or a
// one-line failure: never a panic.
func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		"", "help", "-h", "version", "migrate", "migrate status --json", "migrate sql --dialect sqlite",
		"flag x --create --percent 12.5 --everyone on --user a --user b --append",
		"flag --list --json", "flag x --percent=abc", "switch x on --create", "switch --list",
		"sample x 0 --create", "sample -- x -1", "delete --flag a --switch b --sample c --string d",
		"group add g u1 u2", "group list --user u", "window add f u --start 2026-01-01 --end 2026-13-01",
		"window delete 1 x", "window update 1 --end never --flag g", "sync a b --json", "get x --json", "set --null x", "set x y z",
		"load-json -", "dump-json --output", "--", "flag -- -x", "help nope", "nope",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		for _, a := range args {
			if strings.Contains(a, "database") || strings.Contains(a, "output") {
				t.Skip("would name a file to create")
			}
		}
		var out, errOut bytes.Buffer
		a := &app{stdout: &out, stderr: &errOut, stdin: strings.NewReader("{}"), getenv: func(string) string { return "" }}
		err := a.run(context.Background(), args)
		code := a.exitCode(err)
		var ue *usageError
		switch {
		case err == nil:
			require.Equal(t, 0, code)
		case errors.As(err, &ue):
			require.Equal(t, 2, code)
			require.Contains(t, errOut.String(), "Usage: waffle")
		default:
			require.Equal(t, 1, code)
			require.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
		}
	})
}

func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"0", "100", "12.5", "-0", "1e2", "0x10", "NaN", "+Inf", "100.0000001", " 5 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePercent(s)
		if err != nil {
			require.Zero(t, p)
			return
		}
		require.False(t, math.IsNaN(p))
		require.GreaterOrEqual(t, p, 0.0)
		require.LessOrEqual(t, p, 100.0)
	})
}
