package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		`user "42" (listed) -> true`,
		`user "7" (in beta-testers) -> true`,
		`user "8", staff -> true`,
		`user "9", groups passed in: beta-testers -> true`,
		`an anonymous request in German -> true`,
		`With Everyone = false the flag is off for everyone, user "42" too: false.`,
		`A flag that does not exist reads as Config.FlagDefault: false.`,
		`Set-Cookie: dwf_banner=`,
	} {
		require.Contains(t, out, line)
	}
	// Raising a percent keeps every identified user who was on.
	i := strings.Index(out, `The flag "gradual" for 1000 users:`)
	require.GreaterOrEqual(t, i, 0)
	var at10, at20, of, kept int
	_, err := fmt.Sscanf(out[i:], "The flag \"gradual\" for 1000 users: on for %d at 10%%, %d at 20%%; of the %d, %d are still on.",
		&at10, &at20, &of, &kept)
	require.NoError(t, err)
	require.Equal(t, at10, kept)
	require.Greater(t, at20, at10)

	_, err = os.Stat(filepath.Join(dir, "quickstart.db"))
	require.NoError(t, err, "the database stays for the reader")

	// A rerun starts from a fresh database and prints the same: the draws are
	// seeded.
	var second bytes.Buffer
	require.NoError(t, run(context.Background(), &second, dir))
	require.Equal(t, out, second.String())
}
