package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// The real binary, built once for the tests that run it.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command: skipped with -short")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "waffle-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "waffle")
		// As released: no cgo, a static binary.
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// runBinary runs the built command with the database in the environment.
func runBinary(t *testing.T, db *testdb.DB, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), envDatabase+"=")
	if db != nil {
		cmd.Env = append(cmd.Env, envDatabase+"="+db.DSN)
	}
	cmd.Stdin = strings.NewReader(stdin)
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

// The command builds without cgo to a static binary (no interpreter, no
// shared library) that works on a SQLite file.
func TestBinaryStatic(t *testing.T) {
	t.Parallel()
	path := binary(t)
	f, err := elf.Open(path)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		require.NotEqual(t, elf.PT_INTERP, p.Type, "a dynamic loader is needed")
	}
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	require.Empty(t, libs)

	info, err := buildinfo.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, info.Settings, debug.BuildSetting{Key: "CGO_ENABLED", Value: "0"})
	var deps []string
	for _, d := range info.Deps {
		deps = append(deps, d.Path)
	}
	require.Contains(t, deps, "github.com/glebarez/sqlite", "the pure-Go SQLite driver")

	db := filepath.Join(t.TempDir(), "static.db")
	for _, args := range [][]string{
		{"migrate"}, {"switch", "s", "on", "--create"}, {"flag", "f", "--create"}, {"window", "add", "f", "u"},
	} {
		_, errOut, code := runBinary(t, nil, "", append([]string{"--database", db}, args...)...)
		require.Equal(t, 0, code, errOut)
	}
	out, errOut, code := runBinary(t, nil, "", "--database", db, "sync", "--json")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `"added": 1`)
}

func TestBinary(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		out, errOut, code := runBinary(t, db, "", "migrate")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "Applied version 1")

		out, errOut, code = runBinary(t, db, "", "switch", "checkout", "on", "--create")
		require.Equal(t, 0, code, errOut)
		require.Empty(t, errOut)
		require.Equal(t, "Creating switch: checkout\nSwitch checkout: on\n", out)

		out, _, code = runBinary(t, db, "", "switch", "--list", "--json")
		require.Equal(t, 0, code)
		require.Contains(t, out, `"name": "checkout"`)

		// A failure: exit status 1, one line on stderr, nothing on stdout.
		out, errOut, code = runBinary(t, db, "", "switch", "missing", "on")
		require.Equal(t, 1, code)
		require.Empty(t, out)
		require.Equal(t, "waffle: switch \"missing\" does not exist (add --create to create it)\n", errOut)

		// A usage error: exit status 2, the message then the usage.
		out, errOut, code = runBinary(t, db, "", "switch", "checkout", "maybe")
		require.Equal(t, 2, code)
		require.Empty(t, out)
		require.True(t, strings.HasPrefix(errOut, "waffle: switch: invalid state \"maybe\" (want on or off)\n\nUsage: waffle switch "), errOut)
	})
}

func TestBinaryDatabaseErrors(t *testing.T) {
	t.Parallel()
	// No database at all.
	_, errOut, code := runBinary(t, nil, "", "switch", "--list")
	require.Equal(t, 1, code)
	require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	require.Contains(t, errOut, "no database")

	// An unreachable server: one line even though the driver's message has
	// several parts.
	_, errOut, code = runBinary(t, nil, "", "--database", "postgres://u:pw@127.0.0.1:1/x?sslmode=disable", "switch", "--list")
	require.Equal(t, 1, code)
	require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	require.True(t, strings.HasPrefix(errOut, "waffle: opening the database postgres://u:xxxxx@127.0.0.1:1/x"), errOut)

	// A SQLite file is created when missing.
	path := filepath.Join(t.TempDir(), "new.db")
	_, errOut, code = runBinary(t, nil, "", "--database", path, "migrate")
	require.Equal(t, 0, code, errOut)
	_, err := os.Stat(path)
	require.NoError(t, err)

	// help and -h succeed.
	out, _, code := runBinary(t, nil, "", "help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Commands:")
	out, _, code = runBinary(t, nil, "", "switch", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Usage: waffle switch")
	_, errOut, code = runBinary(t, nil, "")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "no command given")
}
