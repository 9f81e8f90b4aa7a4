package waffle_test

import (
	"bytes"
	"context"
	"html/template"
	"net/http"

	"github.com/gowaffle/waffle"
)

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
