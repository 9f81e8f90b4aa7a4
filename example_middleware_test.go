package waffle_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gowaffle/waffle"
)

// The middleware lets flag evaluations see the request (testing and override
// parameters, cookies) and writes the percent and testing cookies of the
// flags evaluated. The application puts its user in the context before
// calling FlagIsActive. A fixed draw makes this example's cookie fixed.
func ExampleStore_Middleware_server() {
	store, cleanup := exampleStore(&waffle.Config{Rand: func() float64 { return 0.1 }})
	defer cleanup()
	ctx := context.Background()
	_ = store.SaveFlag(ctx, &waffle.Flag{Name: "new_checkout", Percent: new(50.0), Testing: true, Users: []string{"42"}})

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if id := r.Header.Get("X-User"); id != "" { // your session lookup
			ctx = waffle.WithUser(ctx, waffle.User{ID: id, Authenticated: true})
		}
		on, err := store.FlagIsActive(ctx, "new_checkout")
		if err != nil {
			http.Error(w, "flags unavailable", http.StatusServiceUnavailable)
			return
		}
		if on {
			fmt.Fprint(w, "new checkout")
			return
		}
		fmt.Fprint(w, "old checkout")
	})
	srv := httptest.NewServer(store.Middleware(app))
	defer srv.Close()

	get := func(path, user string, cookies ...*http.Cookie) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		line := fmt.Sprintf("%-24s -> %s", path+" "+user, body)
		for _, c := range resp.Cookies() {
			line += fmt.Sprintf(", cookie %s=%s", c.Name, c.Value)
		}
		fmt.Println(line)
	}
	get("/", "42")                                                       // listed user
	get("/", "")                                                         // anonymous: drawn, remembered in a cookie
	get("/", "", &http.Cookie{Name: "dwf_new_checkout", Value: "False"}) // the cookie decides
	get("/?dwft_new_checkout=0", "42")                                   // testing mode: off, remembered
	// Output:
	// / 42                     -> new checkout
	// /                        -> new checkout, cookie dwf_new_checkout=True
	// /                        -> old checkout, cookie dwf_new_checkout=False
	// /?dwft_new_checkout=0 42 -> old checkout, cookie dwft_new_checkout=False
}

// show prints the status, the Set-Cookie headers and the body of a request
// to h.
func show(h http.Handler, target string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	resp := w.Result()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)))
	for _, c := range resp.Header.Values("Set-Cookie") {
		fmt.Println("  Set-Cookie:", c)
	}
}

func ExampleStore_Middleware() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()
	_ = store.SaveFlag(ctx, &waffle.Flag{Name: "beta", Testing: true})

	handler := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		on, err := store.FlagIsActive(r.Context(), "beta")
		if err != nil {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "beta:", on)
	}))
	show(handler, "/")
	show(handler, "/?dwft_beta=1")
	// Output:
	// 200 beta: false
	// 200 beta: true
	//   Set-Cookie: dwft_beta=True; Path=/
}
