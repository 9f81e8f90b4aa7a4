package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// No database password reaches the output of the real binary, whatever the
// DSN's form and whichever error the driver returns.
func TestBinaryHidesPasswords(t *testing.T) {
	t.Parallel()
	const server = "127.0.0.1:1" // refuses connections at once
	for _, tc := range []struct {
		name     string
		dsn      string
		password []string // none of these may be printed
		code     int
		msg      string // in stderr
	}{
		{"bad URL echoed by the driver", "postgres://u:hunter2@[::1:1/db", []string{"hunter2"}, 1, "invalid PostgreSQL URL"},
		{"user info", "postgres://u:hunter2@" + server + "/db?sslmode=disable", []string{"hunter2"}, 1, "postgres://u:xxxxx@" + server},
		{"query parameter", "postgres://u@" + server + "/db?sslmode=disable&password=hunter2", []string{"hunter2"}, 1, "password=xxxxx"},
		{"encoded query parameter", "postgres://u@" + server + "/db?password=hun%26ter%202", []string{"hun&ter 2", "hun%26ter%202"}, 1, "connect"},
		{"@ in the password", "postgres://u:hun@ter2@" + server + "/db", []string{"hun@ter2"}, 1, "opening the database"},
		{": in the password", "postgres://u:hu:nter2@" + server + "/db", []string{"hu:nter2"}, 1, "opening the database"},
		{"encoded @", "postgres://u:hunter%402@" + server + "/db", []string{"hunter@2", "hunter%402"}, 1, "opening the database"},
		{"postgresql scheme", "postgresql://u:hunter2@" + server + "/db", []string{"hunter2"}, 1, "postgresql://u:xxxxx@"},
		{"key/value", "host=127.0.0.1 port=1 user=u password=hunter2 dbname=db", []string{"hunter2"}, 1, "password=xxxxx"},
		{"key/value quoted", "host=127.0.0.1 port=1 user=u password='hun ter\\'2' dbname=db", []string{"hun ter'2", `hun ter\'2`}, 1, "connect"},
		{"key/value spaced", "host=127.0.0.1 port=1 password = hunter2", []string{"hunter2"}, 1, "connect"},
		{"key/value starting with user", "user=u password=hunter2 host=127.0.0.1 port=1", []string{"hunter2"}, 1, "connect"},
		{"key/value the driver cannot parse", "host=127.0.0.1 port=x password=hunter2", []string{"hunter2"}, 1, "invalid port"},
		{"mysql", "mysql://u:hunter2@localhost/db", []string{"hunter2"}, 2, `unsupported database URL scheme "mysql"`},
		{"sqlserver", "sqlserver://u:hunter2@localhost", []string{"hunter2"}, 2, `unsupported database URL scheme "sqlserver"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, args := range [][]string{
				{"--database", tc.dsn, "switch", "--list"},
				{"switch", "--list", "--database=" + tc.dsn},
				{"window", "list", "--database", tc.dsn},
			} {
				stdout, stderr, code := runBinary(t, nil, "", args...)
				require.Equal(t, tc.code, code, stderr)
				require.Contains(t, stderr, tc.msg)
				for _, pw := range tc.password {
					require.NotContains(t, stdout+stderr, pw)
				}
			}
			// The same from the environment.
			stdout, stderr, code := runBinary(t, &testdb.DB{DSN: tc.dsn}, "", "sync")
			require.Equal(t, tc.code, code, stderr)
			for _, pw := range tc.password {
				require.NotContains(t, stdout+stderr, pw)
			}
		})
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dsn, in, want string
	}{
		{"postgres://u:pw@h/db", "cannot parse `postgres://u:pw@h/db`: x", "cannot parse `postgres://u:xxxxx@h/db`: x"},
		{"postgres://u:p%40w@h/db", "user p@w and p%40w", "user xxxxx and xxxxx"},
		{"host=h password='a b'", "password='a b' and a b", "password=xxxxx and xxxxx"},
		{"host=h sslpassword=zz9", "sslpassword=zz9", "sslpassword=xxxxx"},
		{"postgres://u:x@h/db", "x marks postgres://u:x@h", "***** marks postgres://u:*****@h"},
		{"app.db", "opening app.db: postgres://v:other@h and password=other", "opening app.db: postgres://v:xxxxx@h and password=xxxxx"},
	} {
		require.Equal(t, tc.want, newRedactor(tc.dsn).String(tc.in), tc.dsn)
	}
	require.Equal(t, "a plain message", (*redactor)(nil).String("a plain message"))
}

// FuzzRedaction runs the command on DSNs of every shape built around a
// password: the password never appears on stdout or stderr.
func FuzzRedaction(f *testing.F) {
	for _, pw := range []string{"hunter2", "p@ss:word", "a b", `it's\`, "%41%", "[::1", "pass/word?#", "é", "x", "w"} {
		for shape := range dsnShapes {
			f.Add(pw, uint8(shape), false)
		}
	}
	f.Fuzz(func(t *testing.T, pw string, shape uint8, fromEnv bool) {
		if pw == "" {
			t.Skip("no password")
		}
		dsn := dsnShapes[int(shape)%len(dsnShapes)](pw)
		args := []string{"--database", dsn, "switch", "--list"}
		env := ""
		if fromEnv {
			args, env = []string{"switch", "--list"}, dsn
		}
		var out, errOut bytes.Buffer
		a := &app{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""),
			getenv: func(k string) string {
				if k == envDatabase {
					return env
				}
				return ""
			}}
		code := a.exitCode(a.run(context.Background(), args))
		require.NotEqual(t, 0, code, "no server answers")
		require.NotContains(t, out.String()+errOut.String(), pw, "dsn %q", dsn)
	})
}

// dsnShapes put a password in a DSN, each in one of the forms a user may
// write; the server address refuses connections at once.
var dsnShapes = []func(pw string) string{
	func(pw string) string { // raw in the user info, but for what ends it
		return "postgres://u:" + strings.NewReplacer("/", "%2F", "?", "%3F", "#", "%23").Replace(pw) + "@127.0.0.1:1/db"
	},
	func(pw string) string { return "postgres://" + url.UserPassword("u", pw).String() + "@127.0.0.1:1/db" },
	func(pw string) string {
		return "postgres://u@127.0.0.1:1/db?sslmode=disable&password=" + url.QueryEscape(pw)
	},
	func(pw string) string { return "postgres://u:" + pw + "@[::1:1/db" },
	func(pw string) string { return "host=127.0.0.1 port=1 user=u password=" + libpqQuote(pw) },
	func(pw string) string { return "user=u password=" + libpqQuote(pw) + " host=127.0.0.1 port=x" },
	func(pw string) string { return "mysql://u:" + url.PathEscape(pw) + "@127.0.0.1:1/db" },
}

// libpqQuote quotes a key/value DSN value.
func libpqQuote(v string) string {
	return fmt.Sprintf("'%s'", strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v))
}
