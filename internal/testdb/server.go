package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// EnvPgBinDir names the directory of PostgreSQL's server programs (initdb,
// pg_ctl) that NewServer runs; by default the newest
// /usr/lib/postgresql/*/bin, Debian's place, else pg_ctl's on PATH (as
// scripts/with-postgres looks for them).
const EnvPgBinDir = "WAFFLE_PG_BINDIR"

// Server is a private PostgreSQL cluster of one test, on a port of its own,
// that the test stops and starts again: a real outage, every connection
// refused or cut by the server, rather than a driver that refuses
// statements. Its role "waffle" connects without a password over TCP on
// 127.0.0.1. It is stopped and removed when the test ends.
type Server struct {
	bin, dir, data, opts, runAs string
	port                        int
	running                     bool
}

// NewServer creates and starts a private cluster (initdb, then pg_ctl
// start, about a second). Without the server programs the test is skipped
// with a message, or fails under CI=true. As root, the programs run as the
// postgres user (initdb refuses root), or nobody when there is none.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	bin := os.Getenv(EnvPgBinDir)
	if bin == "" {
		if matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(matches) > 0 {
			bin = filepath.Dir(matches[len(matches)-1])
		} else if ctl, err := exec.LookPath("pg_ctl"); err == nil {
			if real, err := filepath.EvalSymlinks(ctl); err == nil {
				bin = filepath.Dir(real)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(bin, "pg_ctl")); bin == "" || err != nil {
		msg := "this test starts and stops a PostgreSQL server of its own: it needs initdb and pg_ctl " +
			"(apt-get install postgresql, or set " + EnvPgBinDir + ")"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: missing server programs are a failure)")
		}
		tb.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "waffle-pg-server.")
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &Server{bin: bin, dir: dir, data: filepath.Join(dir, "data"), port: freePort(tb)}
	if os.Geteuid() == 0 {
		s.runAs = "nobody"
		uid, gid := 65534, 65534
		if u, err := user.Lookup("postgres"); err == nil {
			s.runAs = u.Username
			uid, _ = strconv.Atoi(u.Uid)
			gid, _ = strconv.Atoi(u.Gid)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatalf("testdb: %v", err)
		}
	}
	s.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", s.port, dir)
	s.run(tb, "initdb", "-D", s.data, "-U", "waffle", "-A", "trust", "--no-sync")
	s.Start(tb)
	tb.Cleanup(func() {
		if s.running {
			_ = s.command("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop").Run()
		}
	})
	return s
}

// DSN is the URL of the server's database "postgres" as its role "waffle".
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://waffle@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// DB returns the server's database as a DB, for Open and OpenHooked.
func (s *Server) DB() *DB { return &DB{Kind: Postgres, DSN: s.DSN()} }

// Stop stops the server the way an operator does (pg_ctl stop, fast mode:
// open connections are cut) and waits until it is down.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	s.run(tb, "pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop")
	s.running = false
}

// Start starts the stopped server again, on the same port and data, and
// waits until it accepts connections.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	s.run(tb, "pg_ctl", "-D", s.data, "-l", filepath.Join(s.dir, "log"), "-o", s.opts, "-w", "start")
	s.running = true
}

// command is a server program's command, as runAs when set.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = "/" // a directory the server's user can enter
	return cmd
}

func (s *Server) run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	if out, err := s.command(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		tb.Fatalf("testdb: %s: %v\n%s\nserver log:\n%s", name, err, out, log)
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}
