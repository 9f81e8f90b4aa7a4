package waffle

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The FuncMap renders through a real request: flag (with the request's
// testing query and cookie), switch, sample, value, and the documented
// example's output.
func TestFuncMap(t *testing.T) {
	t.Parallel()
	page := template.Must(template.New("page").Funcs((&Store{}).FuncMap(nil)).Parse(
		`{{if flag "beta"}}Try the new checkout.{{else}}Checkout.{{end}} Banner: {{value "banner"}}` +
			`|switch={{switch "sw"}}|sample={{sample "always"}}/{{sample "never"}}` +
			`|testing={{flag "t_f"}}|not={{if not (flag "beta")}}off{{else}}on{{end}}` +
			`|raw={{flag "!beta"}}`))

	// render renders into a buffer, then writes it: the documented pattern,
	// with which flags evaluated anywhere in the template set cookies.
	render := func(t *testing.T, s *Store, req *http.Request) (*http.Response, string) {
		t.Helper()
		return roundTrip(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var b bytes.Buffer
			if err := template.Must(page.Clone()).Funcs(s.FuncMap(r)).Execute(&b, nil); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = b.WriteTo(w)
		}), req)
	}
	// stream executes straight into the response: the header goes out with
	// the first text, so flags evaluated after it set no cookie
	// (documented).
	stream := func(t *testing.T, s *Store, req *http.Request) (*http.Response, string) {
		t.Helper()
		return roundTrip(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = template.Must(page.Clone()).Funcs(s.FuncMap(r)).Execute(w, nil)
		}), req)
	}

	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Now: fixedClock})
		saveFlag(t, s, Flag{Name: "t_f", Testing: true})
		require.NoError(t, s.SetSwitch(ctx, "sw", true))
		require.NoError(t, s.SetSample(ctx, "always", 100))
		require.NoError(t, s.SetSample(ctx, "never", 0))

		resp, body := render(t, s, get("/?dwft_t_f=1"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, "Checkout. Banner: false|switch=true|sample=true/false|testing=true|not=off|raw=false", body)
		require.Equal(t, []string{"dwft_t_f=True; Path=/"}, resp.Header.Values("Set-Cookie"))
		resp, body = stream(t, s, get("/?dwft_t_f=1"))
		require.Contains(t, body, "testing=true")
		require.Empty(t, resp.Header.Values("Set-Cookie"), "evaluated after the header was sent")

		setFlagEveryone(t, s, "beta", true)
		require.NoError(t, s.Set(ctx, "banner", "Sale <today>"))
		resp, body = render(t, s, get("/", "Cookie: dwft_t_f=False"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, "Try the new checkout. Banner: Sale &lt;today&gt;|switch=true|sample=true/false|testing=false|not=on|raw=false", body)
		require.Empty(t, resp.Header.Values("Set-Cookie"))
	})
}

// value follows MissingFlagHandling; exception mode stops the template
// with an error that Execute returns, as does a failed read.
func TestFuncMapValueModes(t *testing.T) {
	t.Parallel()
	tmpl := template.Must(template.New("v").Funcs((&Store{}).FuncMap(nil)).Parse(`[{{value "missing"}}]`))
	eachDB(t, func(t *testing.T, h *harness) {
		for _, tt := range []struct {
			mode MissingFlagMode
			want string
		}{
			{ReturnFalse, "[false]"},
			{ReturnEmpty, "[]"},
			{ReturnNone, "[]"}, // html/template prints nil as nothing
		} {
			s := h.store(t, &Config{MissingFlagHandling: tt.mode})
			var b strings.Builder
			require.NoError(t, template.Must(tmpl.Clone()).Funcs(s.FuncMap(nil)).Execute(&b, nil))
			require.Equal(t, tt.want, b.String(), tt.mode)
		}
		s := h.store(t, &Config{MissingFlagHandling: Exception})
		var b strings.Builder
		err := template.Must(tmpl.Clone()).Funcs(s.FuncMap(nil)).Execute(&b, nil)
		require.ErrorIs(t, err, ErrNoSuchFlag)

		down := h.store(t, nil)
		db, err := down.db.DB()
		require.NoError(t, err)
		require.NoError(t, db.Close())
		for _, src := range []string{`{{flag "x"}}`, `{{switch "x"}}`, `{{sample "x"}}`, `{{value "x"}}`, `{{wafflejs}}`} {
			p := template.Must(template.New("d").Funcs(down.FuncMap(nil)).Parse(src))
			require.ErrorContains(t, p.Execute(&b, nil), "database is closed", src)
		}
	})
}
