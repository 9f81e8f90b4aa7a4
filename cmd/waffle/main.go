// Command waffle manages the flags, switches, samples, string flags, groups
// and time windows that the waffle library keeps in an application's
// database: django-waffle's management commands and waffle-window's sync.
//
// Install it with
//
//	go install github.com/gowaffle/waffle/cmd/waffle@latest
//
// It is its own module, built without cgo (CGO_ENABLED=0 gives a static
// binary): SQLite through the pure-Go github.com/glebarez/sqlite, PostgreSQL
// through pgx.
//
// Point it at the database with --database (before or after the command) or
// WAFFLE_DATABASE_URL: a SQLite file path (created when missing; opened with
// WAL, a 10 s busy timeout, foreign keys and immediate transactions), a
// postgres:// or postgresql:// URL, or a key/value DSN ("host=/tmp
// dbname=app"). A URL of any other scheme is a usage error. Database
// passwords are never printed: they are removed from every message.
//
//	waffle --database app.db migrate
//	waffle --database app.db switch maintenance on --create
//	waffle --database app.db sample search-v2 12.5 --create
//	waffle --database app.db flag checkout --create --percent 12.5 --staff
//	waffle --database app.db window add checkout 42 --start 2026-12-01 --end 2027-01-01
//	waffle --database app.db window update 1 --end never
//	waffle --database app.db sync
//	waffle help
//
// Commands: migrate, flag, switch, sample, delete, group (create, add,
// remove, delete, list), window (add, list, update, delete), sync, get, set,
// load-json, dump-json, version, help. --actor NAME (default $USER) names who
// makes the changes, for the audit trail. Listings take --json.
//
// --django (or WAFFLE_DJANGO=1) works on a database a Django site shares:
// django-waffle's own tables, and only the library's own tables beside them;
// --django-time-zone (or WAFFLE_DJANGO_TIME_ZONE) is Django's TIME_ZONE, the
// calendar of waffle-window's dates that sync judges.
//
// Exit status: 0 on success, 1 when the command failed (one line on stderr),
// 2 on a usage error (the message and the command's usage on stderr).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // --django-time-zone in a static binary on a machine without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.Getenv}
	code := a.exitCode(a.run(ctx, os.Args[1:]))
	stop()
	os.Exit(code)
}
