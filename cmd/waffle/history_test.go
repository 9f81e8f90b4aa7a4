package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// The real binary records --actor (default $USER) on the changes it makes,
// and history lists them newest first, as a table and as JSON.
func TestHistoryBinary(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		run := func(args ...string) string {
			t.Helper()
			out, errOut, code := runBinary(t, db, "", args...)
			require.Equal(t, 0, code, "waffle %q: %s", args, errOut)
			require.Empty(t, errOut)
			return out
		}
		run("migrate")
		run("--actor", "alice", "switch", "checkout", "on", "--create")
		run("--actor", "bob", "switch", "checkout", "off")
		run("--actor", "bob", "switch", "checkout", "off") // no change, no entry
		run("--actor", "bob", "sample", "trace", "12.5", "--create")

		out := run("history")
		got := lines(out)
		require.Len(t, got, 4, out)
		require.Regexp(t, `^ID\s+TIME\s+ACTOR\s+ACTION\s+KIND\s+NAME\s+BEFORE\s+AFTER$`, got[0])
		row := regexp.MustCompile(`^(\d+)\s+(\S+Z)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$`)
		want := [][]string{
			{"bob", "create", "sample", "trace", "-", `{"note":"","percent":12.5}`},
			{"bob", "update", "switch", "checkout", `{"active":true}`, `{"active":false}`},
			{"alice", "create", "switch", "checkout", "-", `{"active":true,"note":""}`},
		}
		for i, w := range want {
			m := row.FindStringSubmatch(got[i+1])
			require.NotNil(t, m, "row %q", got[i+1])
			require.Equal(t, w[:4], m[3:7], got[i+1])
			for j, side := range w[4:] {
				if side == "-" {
					require.Equal(t, "-", m[7+j])
				} else {
					require.JSONEq(t, side, m[7+j])
				}
			}
		}

		// Filters, and a page that says where the next one starts.
		require.Len(t, lines(run("history", "--actor", "alice")), 2)
		require.Len(t, lines(run("history", "--kind", "switch", "--name", "checkout")), 3)
		require.Len(t, lines(run("history", "--since", "1h")), 4)
		require.Len(t, lines(run("history", "--until", "2000-01-01")), 1, "the header only")
		paged := lines(run("history", "--limit", "1"))
		require.Len(t, paged, 3)
		require.Regexp(t, `^More: --before \d+$`, paged[2])
		next := strings.TrimPrefix(paged[2], "More: ")
		require.Len(t, lines(run(append([]string{"history", "--limit", "1"}, strings.Fields(next)...)...)), 3)

		// JSON: one object per entry, before and after as objects or null.
		var entries []map[string]any
		require.NoError(t, json.Unmarshal([]byte(run("history", "--json", "--name", "checkout")), &entries))
		require.Len(t, entries, 2)
		keys := []string{}
		for k := range entries[0] {
			keys = append(keys, k)
		}
		require.ElementsMatch(t, []string{"id", "at", "actor", "action", "kind", "name", "before", "after"}, keys)
		require.Equal(t, "bob", entries[0]["actor"])
		require.Equal(t, map[string]any{"active": true}, entries[0]["before"])
		require.Equal(t, map[string]any{"active": false}, entries[0]["after"])
		require.Nil(t, entries[1]["before"])
		require.IsType(t, "", entries[0]["at"])

		// Without --actor: $USER.
		cmd := exec.Command(binary(t), "switch", "checkout", "on")
		cmd.Env = append(os.Environ(), envDatabase+"="+db.DSN, "USER=carol")
		outBytes, err := cmd.CombinedOutput()
		require.NoError(t, err, string(outBytes))
		require.NoError(t, json.Unmarshal([]byte(run("history", "--json", "--limit", "1")), &entries))
		require.Equal(t, "carol", entries[0]["actor"])
	})
}

// Bad options are usage errors that name the option.
func TestHistoryUsage(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, db: testdbSQLite(t)}
	c.ok("migrate")
	require.Contains(t, c.fails(2, "history", "--since", "yesterday"), "--since: invalid time")
	require.Contains(t, c.fails(2, "history", "--limit", "0"), "--limit must be from 1")
	require.Contains(t, c.fails(2, "history", "--before", "-2"), "--before must not be negative")
	require.Contains(t, c.fails(2, "history", "extra"), "too many arguments")
	require.Equal(t, "ID  TIME  ACTOR  ACTION  KIND  NAME  BEFORE  AFTER\n", c.ok("history"))
}
