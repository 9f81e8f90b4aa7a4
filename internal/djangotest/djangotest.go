// Package djangotest runs the test Django project in project/ (Django 3.2,
// django-waffle 3.0 and a waffle_window app declaring waffle-window's
// FlagMember) as real subprocesses on a test database, so that tests can
// check the library's Django mode against django-waffle itself.
//
// Each call of [Project.Run] is one python3 process running one command of
// project/gotest.py on a JSON request; tests batch their cases into few
// calls. Without Debian's python3-django, python3-django-waffle and
// python3-psycopg2 (scripts/ensure-django installs them) the tests skip with
// a message, except under CI=true, where they fail.
package djangotest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/gowaffle/waffle/internal/testdb"
)

// EnvPython names the interpreter; the default is /usr/bin/python3, the one
// Debian's packages install into.
const EnvPython = "WAFFLE_DJANGO_PYTHON"

var (
	checkOnce sync.Once
	checkErr  error
	python    string
)

// Require skips the test (fails it under CI=true) when Django, django-waffle
// or psycopg2 cannot be imported, and returns the interpreter.
func Require(tb testing.TB) string {
	tb.Helper()
	checkOnce.Do(func() {
		python = os.Getenv(EnvPython)
		if python == "" {
			python = "/usr/bin/python3"
		}
		out, err := exec.Command(python, "-c", "import django, waffle, psycopg2; assert django.VERSION[:2] == (3, 2)").CombinedOutput()
		if err != nil {
			checkErr = &exec.Error{Name: python, Err: &importError{out: string(out), err: err}}
		}
	})
	if checkErr != nil {
		msg := "Django tests need Django 3.2, django-waffle and psycopg2 for " + python +
			": run scripts/ensure-django (make test does): " + checkErr.Error()
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: a missing Django is a failure)")
		}
		tb.Skip(msg)
	}
	return python
}

type importError struct {
	out string
	err error
}

func (e *importError) Error() string { return e.err.Error() + ": " + e.out }

// Dir returns the test project's directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "project")
}

// Project is the test Django project on one test database.
type Project struct {
	python string
	env    []string
}

// Options change the project's settings.
type Options struct {
	TimeZone string // TIME_ZONE; "" is UTC
	Override bool   // WAFFLE_OVERRIDE
}

// New returns the project on db. It runs nothing: call Migrate.
func New(tb testing.TB, db *testdb.DB, opts Options) *Project {
	tb.Helper()
	p := &Project{python: Require(tb)}
	spec := db.DSN
	if db.Kind == testdb.SQLite {
		spec = "sqlite:" + db.DSN
	}
	p.env = append(os.Environ(), "WAFFLE_DJANGO_DB="+spec, "PYTHONDONTWRITEBYTECODE=1")
	if opts.TimeZone != "" {
		p.env = append(p.env, "WAFFLE_DJANGO_TIME_ZONE="+opts.TimeZone)
	}
	if opts.Override {
		p.env = append(p.env, "WAFFLE_DJANGO_OVERRIDE=1")
	}
	return p
}

// Migrate runs Django's migrations: auth, contenttypes, waffle, waffle_window.
func (p *Project) Migrate(tb testing.TB) {
	tb.Helper()
	p.Run(tb, "migrate", struct{}{}, nil)
}

// Run runs gotest.py's command with in as its JSON request and decodes its
// answer into out (nil: ignored). A failing process fails the test with its
// standard error.
func (p *Project) Run(tb testing.TB, command string, in, out any) {
	tb.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		tb.Fatalf("djangotest: encoding %s request: %v", command, err)
	}
	cmd := exec.Command(p.python, filepath.Join(Dir(), "gotest.py"), command)
	cmd.Env = p.env
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("djangotest: gotest.py %s: %v\n%.4000s", command, err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			tb.Fatalf("djangotest: decoding %s answer: %v\n%.2000s", command, err, stdout.String())
		}
	}
}
