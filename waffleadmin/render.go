package waffleadmin

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"join":      strings.Join,
	"syncGroup": func(name string) bool { return strings.HasPrefix(name, "WAFFLE_") },
	"add":       func(a, b int) int { return a + b },
	"nextdir": func(sorted, key, dir string) string {
		if sorted == key && dir == "asc" {
			return "desc"
		}
		return "asc"
	},
	"deref": func(p *float64) float64 { return *p },
	"pct":   func(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) },
	"bool3": func(b *bool) string {
		switch {
		case b == nil:
			return "unset"
		case *b:
			return "on"
		}
		return "off"
	},
	"strval": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}

func parsePages() (*pages, error) {
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, e := range entries {
		name := e.Name()
		if name == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).Funcs(template.FuncMap{
			"url": func(string, ...any) string { return "" }, "time": func(time.Time) string { return "" },
			"timeinput": func(time.Time) string { return "" },
		}).ParseFS(templateFS, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, err
		}
		p.byName[strings.TrimSuffix(name, ".html")] = t
	}
	return p, nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string // the nav bar entry to highlight
	App     string
	Actor   string
	CanEdit bool
	Token   string
	Zone    string
	Message string
	Data    any
}

// render writes page with data, status 200 unless status is set.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page, title, nav string, data any) {
	ri := info(r)
	t, ok := h.pages.byName[page]
	if !ok {
		h.serverError(w, r, fmt.Errorf("waffleadmin: no page %q", page))
		return
	}
	t, err := t.Clone()
	if err == nil {
		t = t.Funcs(template.FuncMap{
			"url":       func(p string, kv ...any) string { return buildURL(ri.base, p, kv...) },
			"time":      func(t time.Time) string { return h.fmtTime(t) },
			"timeinput": func(t time.Time) string { return h.timeInput(t) },
		})
	}
	v := view{Title: title, Nav: nav, App: h.cfg.Title, Actor: ri.actor, CanEdit: ri.perm == Edit,
		Token: ri.token, Zone: h.zoneName(), Message: messages[r.URL.Query().Get("done")], Data: data}
	var buf bytes.Buffer
	if err == nil {
		err = t.Execute(&buf, v)
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// messages are the confirmations shown after a change (?done=...): a fixed
// set, so that a link cannot put words of its own on the page.
var messages = map[string]string{
	"saved":    "Saved.",
	"deleted":  "Deleted.",
	"added":    "Added.",
	"removed":  "Removed.",
	"imported": "Imported.",
	"bulk":     "The action was applied.",
}

// buildURL joins the mount point, p and the query pairs kv (key, value, ...).
func buildURL(base, p string, kv ...any) string {
	s := base + p
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v := fmt.Sprint(kv[i+1])
		if v == "" {
			continue
		}
		q.Add(fmt.Sprint(kv[i]), v)
	}
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

func (h *handler) fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(h.loc).Format("2006-01-02 15:04")
}

const inputLayout = "2006-01-02T15:04"

func (h *handler) timeInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(h.loc).Format(inputLayout)
}

// parseTimeInput reads a datetime-local input in the configured location.
func (h *handler) parseTimeInput(s string) (time.Time, error) {
	for _, layout := range []string{inputLayout, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), h.loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("expected a date and time such as 2026-01-31T09:30")
}

func (h *handler) zoneName() string {
	name := h.loc.String()
	if name == "UTC" {
		return name
	}
	_, off := time.Now().In(h.loc).Zone()
	return fmt.Sprintf("%s (UTC%+03d:%02d)", name, off/3600, abs(off%3600)/60)
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// redirect answers a POST with 303 See Other to p in the admin.
func (h *handler) redirect(w http.ResponseWriter, r *http.Request, p string, kv ...any) {
	http.Redirect(w, r, buildURL(info(r).base, p, kv...), http.StatusSeeOther)
}

// fail answers with a message page.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ri, _ := r.Context().Value(infoKey{}).(*reqInfo)
	if ri == nil || h.pages == nil {
		http.Error(w, msg, status)
		return
	}
	h.render(w, r, status, "message", http.StatusText(status), "", msg)
}

// serverError logs err and answers 500 without showing it.
func (h *handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "waffleadmin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	// A fixed page: rendering could be what failed.
	_, _ = fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title>`+
		`<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="%s"></head>`+
		`<body><main class="page"><h1>Something went wrong</h1><p>The admin could not complete this request. `+
		`The error was logged on the server.</p><p><a href="%s">Back to the flags</a></p></main></body></html>`,
		template.HTMLEscapeString(buildURL(info(r).base, "/static/admin.css")), template.HTMLEscapeString(buildURL(info(r).base, "/flags")))
}

// storeError answers an error from the store: bad input and missing objects
// get their own status and message (the store's messages name the input,
// never SQL); anything else is a 500.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if msg, status, ok := userError(err); ok {
		h.fail(w, r, status, msg)
		return
	}
	h.serverError(w, r, err)
}

// userError reports whether err is the user's doing, with what to show.
func userError(err error) (msg string, status int, ok bool) {
	var nf *waffle.NotFoundError
	var ne *waffle.NameError
	var ve *waffle.ValueError
	var je *waffle.JSONError
	switch {
	case errors.As(err, &nf):
		return nf.Error(), http.StatusNotFound, true
	case errors.As(err, &ne):
		return ne.Error(), http.StatusBadRequest, true
	case errors.As(err, &ve):
		return ve.Error(), http.StatusBadRequest, true
	case errors.As(err, &je):
		return je.Error(), http.StatusBadRequest, true
	}
	return "", 0, false
}
