package waffle_test

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gowaffle/waffle"
)

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

func ExampleStore_FlagRequired() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()

	beta := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "the beta") })
	mux := http.NewServeMux()
	mux.Handle("GET /beta", store.FlagRequired("beta", nil)(beta))
	mux.Handle("GET /soon", store.FlagRequired("beta", &waffle.GuardOptions{RedirectTo: "/waitlist"})(beta))
	mux.Handle("GET /classic", store.FlagRequired("!beta", nil)(beta))

	show(mux, "/beta")
	show(mux, "/soon")
	show(mux, "/classic")
	on := true
	_ = store.SaveFlag(ctx, &waffle.Flag{Name: "beta", Everyone: &on})
	show(mux, "/beta")
	show(mux, "/classic")
	// Output:
	// 404 404 page not found
	// 302 <a href="/waitlist">Found</a>.
	// 200 the beta
	// 200 the beta
	// 404 404 page not found
}

func ExampleStore_FuncMap() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()
	page := template.Must(template.New("page").Funcs(store.FuncMap(nil)).Parse(
		`{{if flag "beta"}}Try the new checkout.{{else}}Checkout.{{end}} Banner: {{value "banner"}}`))

	handler := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer // render first: the flags' cookies go out with the header
		if err := template.Must(page.Clone()).Funcs(store.FuncMap(r)).Execute(&buf, nil); err != nil {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		_, _ = buf.WriteTo(w)
	}))
	show(handler, "/")
	on := true
	_ = store.SaveFlag(ctx, &waffle.Flag{Name: "beta", Everyone: &on})
	_ = store.Set(ctx, "banner", "Sale <today>")
	show(handler, "/")
	// Output:
	// 200 Checkout. Banner: false
	// 200 Try the new checkout. Banner: Sale &lt;today&gt;
}
