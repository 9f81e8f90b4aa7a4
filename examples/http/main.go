// Command http is a small net/http server that uses waffle's HTTP surface:
// the middleware, a guard, template functions, wafflejs and the status view.
//
//	go run ./examples/http -addr 127.0.0.1:8080 -db waffle-example.db
//
// It keeps its flags in a SQLite file (or a postgres:// URL given to -db),
// creates them at startup when they are missing, and reads them on every
// request: change one from another process, such as the waffle command,
//
//	go run ./cmd/waffle --database waffle-example.db switch banner off
//
// and the next page load shows it. The routes:
//
//	GET /               the page: flag, switch, sample and string flag in a
//	                    template, and wafflejs inlined for the page's script
//	GET /beta           guarded by the new-checkout flag (redirects to / when
//	                    it is off); try /beta?dwft_new-checkout=1
//	GET /wafflejs       the wafflejs script
//	GET /waffle_status  every flag, switch and sample as JSON
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	db := flag.String("db", "waffle-example.db", "SQLite file, or a postgres:// URL")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *db)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "http example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, target string) error {
	db, err := dbopen.Open(target)
	if err != nil {
		return err
	}
	defer dbopen.Close(db)
	// Cookies are Secure by default; this example serves plain http on a
	// development machine, where browsers would drop Secure cookies.
	store, err := waffle.New(db, &waffle.Config{Cookie: waffle.CookieConfig{Insecure: true}})
	if err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if err := setup(ctx, store); err != nil {
		return err
	}

	srv := &http.Server{
		Addr:              addr,
		Handler:           newHandler(store),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("listening", "url", "http://"+addr+"/", "database", target)
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

// setup creates the example's flags, switch, sample and string flag when
// they are missing, and leaves them alone when they exist, so that changes
// made from elsewhere survive a restart.
func setup(ctx context.Context, store *waffle.Store) error {
	if _, err := store.GetFlag(ctx, "new-checkout"); errors.Is(err, waffle.ErrNotFound) {
		percent := 50.0
		err = store.SaveFlag(ctx, &waffle.Flag{
			Name:    "new-checkout",
			Percent: &percent, // half of the visitors, remembered in a cookie
			Testing: true,     // ?dwft_new-checkout=1 turns it on for you
			Note:    "the redesigned checkout",
		})
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, err := store.GetSwitch(ctx, "banner"); errors.Is(err, waffle.ErrNotFound) {
		if err := store.SetSwitch(ctx, "banner", true); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, err := store.GetSample(ctx, "survey"); errors.Is(err, waffle.ErrNotFound) {
		if err := store.SetSample(ctx, "survey", 10); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	v, err := store.Get(ctx, "greeting")
	if err != nil {
		return err
	}
	if v.Missing() && !v.Null() {
		return store.Set(ctx, "greeting", "Hello from waffle")
	}
	return nil
}

// page is parsed once with the store's template functions; each request
// binds a clone to itself (see waffle.Store.FuncMap).
const pageSource = `<!doctype html>
<html><head><meta charset="utf-8"><title>waffle example</title>
<script>{{wafflejs}}</script>
</head><body>
<h1>{{value "greeting"}}</h1>
<p id="checkout">new-checkout: {{if flag "new-checkout"}}on{{else}}off{{end}}</p>
{{if switch "banner"}}<p id="banner">The banner switch is on.</p>{{end}}
{{if sample "survey"}}<p id="survey">You were sampled for the survey.</p>{{end}}
<p><a href="/beta">The beta page</a>, open while new-checkout is on for you.
Turn it on for yourself with <a href="/?dwft_new-checkout=1">?dwft_new-checkout=1</a>,
off with <a href="/?dwft_new-checkout=0">?dwft_new-checkout=0</a>.</p>
<p id="js"></p>
<script>
document.getElementById("js").textContent =
  "The page's script sees new-checkout " + (waffle.flag_is_active("new-checkout") ? "on" : "off") + ".";
</script>
</body></html>
`

// newHandler returns the example's routes behind the waffle middleware.
func newHandler(store *waffle.Store) http.Handler {
	page := template.Must(template.New("page").Funcs(store.FuncMap(nil)).Parse(pageSource))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// Render into a buffer: the flags' cookies go out with the header,
		// which must not be sent before the template has evaluated them.
		var buf bytes.Buffer
		if err := template.Must(page.Clone()).Funcs(store.FuncMap(r)).Execute(&buf, nil); err != nil {
			slog.ErrorContext(r.Context(), "rendering the page", "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = buf.WriteTo(w)
	})
	beta := store.FlagRequired("new-checkout", &waffle.GuardOptions{RedirectTo: "/"})
	mux.Handle("GET /beta", beta(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Welcome to the new checkout.")
	})))
	mux.Handle("GET /wafflejs", store.JSHandler())
	mux.Handle("GET /waffle_status", store.StatusHandler())
	return store.Middleware(mux)
}
