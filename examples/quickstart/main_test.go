package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var first bytes.Buffer
	require.NoError(t, run(context.Background(), &first, dir))
	out := first.String()
	for _, line := range []string{
		"Creating the SQLite database " + filepath.Join(dir, "quickstart.db"),
		"Migrated: the waffle_ tables exist now.",
		`SetSwitch("maintenance", true) created it; it reads as true.`,
		"ListSwitches returns 2 switches:",
		`A name starting with "_" is refused before any SQL: waffle: invalid switch name "_hidden"`,
		"A sample at 0% reads as false, always.",
		"A sample at 100% reads as true, always.",
		`GetSample("log-details") still says 25%.`,
		`Set("beta", true) -> "True"; Bool() = true`,
		`Set("legacy", false) -> ""; Bool() = false`,
		`Set("unset", nil) -> NULL (reads as missing); Bool() = false`,
		`Set("ratio", 0.25) -> "0.25"`,
		"cannot store a []string",
		"return_false -> Any() = false, JSON false",
		`return_empty -> Any() = "", JSON ""`,
		"return_none  -> Any() = <nil>, JSON null",
		`exception    -> error: waffle: no such flag "no-such-flag"`,
		`max-items -> "200"`,
		`ratio -> "0.50"`,
		`Invalid input is refused before any write: waffle: invalid JSON at key "nested"`,
		`theme is still "light".`,
	} {
		require.Contains(t, out, line)
	}
	_, err := os.Stat(filepath.Join(dir, "quickstart.db"))
	require.NoError(t, err, "the database stays for the reader")

	// A rerun starts from a fresh database and prints the same: the draws are
	// seeded.
	var second bytes.Buffer
	require.NoError(t, run(context.Background(), &second, dir))
	require.Equal(t, out, second.String())
}
