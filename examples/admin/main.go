// Command admin serves waffleadmin, the admin web pages, on a fresh SQLite
// file, behind a demo authorization hook:
//
//	go run ./examples/admin
//	go run ./examples/admin -addr 127.0.0.1:8081 -db my.db
//
// It prints the URL to open. The hook is for demos only: anyone who can
// reach the server logs in under any name they type, as an editor or a
// viewer. A real application maps the request to its own session instead
// (see the waffleadmin package documentation).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
	"github.com/gowaffle/waffle/waffleadmin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	db := flag.String("db", "", "SQLite file or postgres:// URL (default: a new file in a temporary directory)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *db, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "admin example:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. With target empty it creates a fresh SQLite
// file in a temporary directory, removed at the end.
func run(ctx context.Context, addr, target string, out io.Writer) error {
	if target == "" {
		dir, err := os.MkdirTemp("", "waffle-admin-example-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		target = filepath.Join(dir, "waffle.db")
	}
	db, err := dbopen.Open(target)
	if err != nil {
		return err
	}
	defer dbopen.Close(db)
	store, err := waffle.New(db, nil)
	if err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if err := seed(ctx, store); err != nil {
		return err
	}
	h, err := newHandler(store)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(out, "waffle admin: http://%s/ (database %s)\n", ln.Addr(), target)
	fmt.Fprintln(out, "The login hook of this example is for demos only: anyone who reaches it may log in under any name.")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// seed stores a few objects to look at, when the database has no flag.
func seed(ctx context.Context, s *waffle.Store) error {
	if _, err := s.GetFlag(ctx, "new-checkout"); !errors.Is(err, waffle.ErrNotFound) {
		return err
	}
	pct := 25.0
	if err := s.SaveFlag(ctx, &waffle.Flag{Name: "new-checkout", Percent: &pct, Testing: true,
		Users: []string{"ada", "grace"}, Groups: []string{"beta-testers"}, Note: "the redesigned checkout"}); err != nil {
		return err
	}
	if err := s.SetSwitch(ctx, "maintenance", false); err != nil {
		return err
	}
	if err := s.SetSample(ctx, "log-details", 5); err != nil {
		return err
	}
	return s.Set(ctx, "banner", "Welcome back")
}

// The demo hook: a cookie holds the name typed on the login page, and
// whether it may edit.
const (
	actorCookie = "demo_actor"
	permCookie  = "demo_perm"
)

func authorize(r *http.Request) (string, waffleadmin.Permission, error) {
	c, err := r.Cookie(actorCookie)
	if err != nil || c.Value == "" {
		return "", 0, errors.New("not logged in")
	}
	perm := waffleadmin.Edit
	if p, err := r.Cookie(permCookie); err == nil && p.Value == "view" {
		perm = waffleadmin.View
	}
	return c.Value, perm, nil
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in · waffle admin example</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>waffle admin example</h1>
<p><strong>For demos only:</strong> this login trusts any name.</p>
<form method="post" action="/login">
<label>Your name <input name="name" required maxlength="100"></label>
<label><input type="checkbox" name="view"> view only</label>
<button type="submit">Log in</button>
</form></body></html>
`))

func newHandler(store *waffle.Store) (http.Handler, error) {
	admin, err := waffleadmin.New(store, waffleadmin.Config{Authorize: authorize})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", admin))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = loginPage.Execute(w, nil)
	})
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		perm := "edit"
		if r.PostFormValue("view") != "" {
			perm = "view"
		}
		for name, v := range map[string]string{actorCookie: r.PostFormValue("name"), permCookie: perm} {
			http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
	})
	mux.Handle("POST /login", http.NewCrossOriginProtection().Handler(login))
	return mux, nil
}
