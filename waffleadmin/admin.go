package waffleadmin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
)

// Permission is what an actor may do in the admin.
type Permission int

const (
	// View lets the actor read every page; it sees no edit controls and
	// every POST it sends is refused with 403.
	View Permission = iota + 1
	// Edit lets the actor read every page and change anything.
	Edit
)

// ErrNoAuthorize is returned by [New] when Config.Authorize is nil: the admin
// is never open by default.
var ErrNoAuthorize = errors.New("waffleadmin: Config.Authorize is required")

// Config configures the admin. Authorize is required; every other field's
// zero value works.
type Config struct {
	// Authorize maps a request to the actor making it (recorded in the audit
	// trail through waffle.WithActor) and what the actor may do. A non-nil
	// error, or a permission other than View and Edit, refuses the request
	// with 403. It runs on every request, static files included.
	//
	// Required: New fails without it.
	Authorize func(r *http.Request) (actor string, perm Permission, err error)
	// Logger receives the errors the admin answers with a 500 page.
	//
	// Defaults to slog.Default.
	Logger *slog.Logger
	// Location is the time zone in which times are shown and date-time
	// inputs are read.
	//
	// Defaults to UTC.
	Location *time.Location
	// TokenKey signs the per-session tokens of the admin's forms. Give every
	// replica the same key (32 random bytes) when requests may reach any of
	// them; otherwise a form loaded from one replica is refused by another.
	//
	// Defaults to 32 random bytes drawn by New.
	TokenKey []byte
	// PageSize is how many rows a list page shows.
	//
	// Defaults to 50.
	PageSize int
	// Title is the name shown in the navigation bar and the page titles.
	//
	// Defaults to "waffle".
	Title string
}

// handler is the admin.
type handler struct {
	store *waffle.Store
	cfg   Config
	log   *slog.Logger
	loc   *time.Location
	key   []byte
	mux   *http.ServeMux
	cop   *http.CrossOriginProtection
	pages *pages
}

// New returns the admin for store, an http.Handler to mount under any prefix
// (see the package documentation). It fails when cfg.Authorize is nil.
func New(store *waffle.Store, cfg Config) (http.Handler, error) {
	if store == nil {
		return nil, errors.New("waffleadmin: store is nil")
	}
	if cfg.Authorize == nil {
		return nil, ErrNoAuthorize
	}
	h := &handler{store: store, cfg: cfg, log: cfg.Logger, loc: cfg.Location, key: cfg.TokenKey}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.loc == nil {
		h.loc = time.UTC
	}
	if h.cfg.PageSize <= 0 {
		h.cfg.PageSize = 50
	}
	if h.cfg.Title == "" {
		h.cfg.Title = "waffle"
	}
	if len(h.key) == 0 {
		h.key = make([]byte, 32)
		_, _ = rand.Read(h.key) // never fails (crypto/rand)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	h.pages = p
	h.cop = http.NewCrossOriginProtection()
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusForbidden, "This request came from another site and was refused. Nothing was changed.")
	}))
	h.routes()
	return h, nil
}

// reqInfo is what the admin knows about one request.
type reqInfo struct {
	actor string
	perm  Permission
	base  string // the URL path the admin is mounted at, without a trailing slash
	token string // the form token of this session
}

type infoKey struct{}

func info(r *http.Request) *reqInfo { return r.Context().Value(infoKey{}).(*reqInfo) }

const sessionCookie = "waffleadmin_session"

// ServeHTTP sets the security headers, authorizes the request, finds where
// the admin is mounted, checks POSTs (origin, token, permission) and routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")

	base, path := mountPoint(r)
	ri := &reqInfo{base: base}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))

	actor, perm, err := h.cfg.Authorize(r)
	if err != nil || (perm != View && perm != Edit) {
		h.fail(w, r, http.StatusForbidden, "You are not allowed to use this admin.")
		return
	}
	ri.actor, ri.perm = actor, perm
	r = r.WithContext(waffle.WithActor(r.Context(), actor))

	session := ""
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) >= 22 {
		session = c.Value
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if session == "" {
			b := make([]byte, 18)
			_, _ = rand.Read(b)
			session = base64.RawURLEncoding.EncodeToString(b)
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: session, Path: base + "/",
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
		}
	}
	ri.token = h.token(actor, session)

	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = path, ""
	r2.URL = &u

	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		h.mux.ServeHTTP(w, r2)
		return
	}
	if r.Method != http.MethodPost {
		hd.Set("Allow", "GET, HEAD, POST")
		h.fail(w, r2, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	h.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if perm != Edit {
			h.fail(w, r, http.StatusForbidden, "You may view this admin but not change anything.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
		if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			h.fail(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		got := r.PostForm.Get("token")
		if session == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ri.token)) != 1 {
			h.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this admin. Reload the page and try again. Nothing was changed.")
			return
		}
		h.mux.ServeHTTP(w, r)
	})).ServeHTTP(w, r2)
}

// token is the form token of actor's session: an HMAC of both under the
// handler's key, so that a token is worth nothing for another session or
// another actor.
func (h *handler) token(actor, session string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(actor))
	m.Write([]byte{0})
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// mountPoint returns the path the admin is mounted at and the request's path
// below it. It handles http.StripPrefix (the request URI is longer than the
// path) and a mux pattern ending in "/" whose prefix is still on the path.
func mountPoint(r *http.Request) (base, path string) {
	path = r.URL.Path
	if uri := r.RequestURI; uri != "" && !strings.HasPrefix(uri, "http") {
		if i := strings.IndexAny(uri, "?#"); i >= 0 {
			uri = uri[:i]
		}
		esc := r.URL.EscapedPath()
		if esc != "" && len(uri) > len(esc) && strings.HasSuffix(uri, esc) {
			base = uri[:len(uri)-len(esc)]
		} else if esc == "" {
			base = uri
		}
	}
	if pat := r.Pattern; pat != "" {
		if i := strings.IndexByte(pat, ' '); i >= 0 {
			pat = pat[i+1:]
		}
		if i := strings.IndexByte(pat, '/'); i > 0 {
			pat = pat[i:] // drop a host
		}
		if len(pat) > 1 && strings.HasSuffix(pat, "/") && !strings.Contains(pat, "{") && strings.HasPrefix(path, pat) {
			base += strings.TrimSuffix(pat, "/")
			path = path[len(pat)-1:]
		}
	}
	base = strings.TrimSuffix(base, "/")
	if path == "" {
		path = "/"
	}
	return base, path
}
