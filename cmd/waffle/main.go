// Command waffle manages the flags, switches, samples, string flags, groups
// and time windows that the waffle library keeps in an application's
// database: django-waffle's management commands and waffle-window's sync.
//
// Install it with
//
//	go install github.com/gowaffle/waffle/cmd/waffle@latest
//
// and point it at the database with --database or WAFFLE_DATABASE_URL: a
// SQLite file path (created when missing) or a postgres:// URL.
//
//	waffle --database app.db migrate
//	waffle --database app.db switch maintenance on --create
//	waffle --database app.db flag checkout --create --percent 12.5 --staff
//	waffle help
//
// Exit status: 0 on success, 1 when the command failed (one line on stderr),
// 2 on a usage error (the message and the command's usage on stderr).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.Getenv}
	code := a.exitCode(a.run(ctx, os.Args[1:]))
	stop()
	os.Exit(code)
}
