package waffle_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gowaffle/waffle"
)

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
