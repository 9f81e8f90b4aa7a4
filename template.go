package waffle

import (
	"context"
	"html/template"
	"net/http"
)

// FuncMap returns template functions bound to r, django-waffle's template
// tags for html/template (text/template takes it converted:
// texttemplate.FuncMap(store.FuncMap(r))):
//
//	flag "name"    [Store.FlagIsActive] for the request (its cookies are
//	               written by [Store.Middleware] when the template runs
//	               before the response header is sent)
//	switch "name"  [Store.SwitchIsActive]
//	sample "name"  [Store.SampleIsActive], a new draw per call
//	wafflejs       [Store.JS]: the wafflejs script, for a <script> element
//	value "name"   [Store.Get]'s value as a template sees it: the stored
//	               string, or for a missing or NULL string flag the
//	               sentinel of Config.MissingFlagHandling (false, "" or
//	               nil; with Exception, the error stops the template);
//	               see [Value.Any]
//
// A failed read (the database is down) stops the template with the error,
// which Execute returns. There is no "!name" negation in templates, as in
// django-waffle: use {{if not (flag "beta")}}.
//
// Functions must be known when a template is parsed: parse with
// FuncMap(nil), whose functions use context.Background and no request, then
// bind a clone to each request, since a template's functions are shared by
// every execution. Render into a buffer: Execute writes to w as it goes, and
// once the first text is written the response header, and with it the
// cookies, is gone, so a flag evaluated later in the template could not set
// its cookie (see [Store.Middleware]):
//
//	var page = template.Must(template.New("page").Funcs(store.FuncMap(nil)).Parse(
//		`{{if flag "beta"}}Try the new checkout.{{else}}Checkout.{{end}} ` +
//			`Banner: {{value "banner"}}`))
//
//	func handler(w http.ResponseWriter, r *http.Request) {
//		var buf bytes.Buffer
//		t := template.Must(page.Clone())
//		if err := t.Funcs(store.FuncMap(r)).Execute(&buf, nil); err != nil {
//			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
//			return
//		}
//		buf.WriteTo(w)
//	}
//
// With "beta" active and the string flag "banner" set to "Sale <today>", the
// page reads:
//
//	Try the new checkout. Banner: Sale &lt;today&gt;
//
// and with "beta" inactive and "banner" missing (default handling):
//
//	Checkout. Banner: false
func (s *Store) FuncMap(r *http.Request) template.FuncMap {
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
	}
	return template.FuncMap{
		"flag":   func(name string) (bool, error) { return s.FlagIsActive(ctx, name) },
		"switch": func(name string) (bool, error) { return s.SwitchIsActive(ctx, name) },
		"sample": func(name string) (bool, error) { return s.SampleIsActive(ctx, name) },
		"value": func(name string) (any, error) {
			v, err := s.Get(ctx, name)
			if err != nil {
				return nil, err
			}
			return v.Any(), nil
		},
		"wafflejs": func() (template.JS, error) { return s.JS(ctx) },
	}
}
