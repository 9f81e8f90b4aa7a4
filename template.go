package waffle

import (
	"context"
	"html/template"
	"net/http"
)

// FuncMap returns template functions bound to r, django-waffle's template
// tags for html/template: flag, switch and sample (the Store's reads for the
// request; sample draws anew at each call), value (a string flag as
// [Value.Any]) and wafflejs ([Store.JS]). A failed read stops the template
// with the error, which Execute returns. There is no "!name" negation, as in
// django-waffle: use {{if not (flag "beta")}}.
//
// Parse once with FuncMap(nil), whose functions use context.Background and no
// request, then bind a clone to each request, and render into a buffer, since
// the cookies go out with the response header (docs/http.md):
//
//	t := template.Must(page.Clone())
//	err := t.Funcs(store.FuncMap(r)).Execute(&buf, nil)
func (s *Store) FuncMap(r *http.Request) template.FuncMap {
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
		if st := requestStateFrom(ctx); st != nil {
			// One statement for the page (see [Store.Needs]): the names the
			// route declared, or else every flag, switch and sample.
			st.batchMemo().declareAll()
		}
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
