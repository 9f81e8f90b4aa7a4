package waffle

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// GuardOptions configures a guard made by [Store.FlagRequired],
// [Store.SwitchRequired] or [Store.SampleRequired]. A nil *GuardOptions and
// the zero value are valid.
type GuardOptions struct {
	// ErrorFunc answers a request whose check failed with an error: the
	// database is down, the context was cancelled, the guard's name is
	// invalid. The error is for the server's eyes, not the client's.
	//
	// Defaults to logging the error through Config.Logger at error level and
	// answering a plain "500 Internal Server Error" that does not show it.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)

	// OnError says what a failed check (the database is down, the context
	// ended) does: [GuardFailClosed] answers with ErrorFunc, [GuardTreatAsOff]
	// logs the error (rate-limited, as [Store.FlagIsActiveOr]) and goes on as
	// if the flag, switch or sample were off: the request is turned away,
	// or, for a negated "!name" guard, passed on. An invalid name always
	// goes to ErrorFunc.
	//
	// Defaults to GuardFailClosed.
	OnError GuardErrorMode

	// NotFound answers a request the guard turns away when RedirectTo is
	// empty.
	//
	// Defaults to [http.NotFound]: 404 page not found.
	NotFound http.Handler

	// RedirectTo, when set, is where a request the guard turns away is
	// redirected, with 302 Found, instead of getting a 404. It is used as
	// given: a path ("/waitlist") or an absolute URL.
	//
	// Defaults to "": no redirect.
	RedirectTo string
}

// GuardErrorMode is what a guard does when its check fails with an error.
type GuardErrorMode int

const (
	// GuardFailClosed answers a failed check with GuardOptions.ErrorFunc
	// (by default a 500). It is the default.
	GuardFailClosed GuardErrorMode = iota
	// GuardTreatAsOff treats a failed check as off, and logs the error.
	GuardTreatAsOff
)

// FlagRequired returns middleware that passes requests on to the next handler
// only while the flag called name is active for the request
// ([Store.FlagIsActive] with the request's context), as django-waffle's
// waffle_flag decorator. A name written "!beta" negates the check: requests
// pass only while "beta" is inactive. Any other request gets a 404, or a
// redirect with [GuardOptions.RedirectTo]. opts may be nil.
//
// It fits chi's r.With and r.Use, gorilla/mux's Use, and plain net/http:
//
//	mux.Handle("/beta", store.FlagRequired("beta", nil)(betaHandler))
//
// The guard runs [Store.Middleware] itself when no middleware is in front of
// it, so the flag sees the request and its cookies are written.
func (s *Store) FlagRequired(name string, opts *GuardOptions) func(http.Handler) http.Handler {
	g := s.newGuard("flag", name, opts, s.FlagIsActive)
	return func(next http.Handler) http.Handler {
		return s.Middleware(g.handler(next))
	}
}

// SwitchRequired returns middleware that passes requests on only while the
// switch called name is on ([Store.SwitchIsActive]), as django-waffle's
// waffle_switch decorator. "!name" negates the check; see
// [Store.FlagRequired] for the rest.
func (s *Store) SwitchRequired(name string, opts *GuardOptions) func(http.Handler) http.Handler {
	g := s.newGuard("switch", name, opts, s.SwitchIsActive)
	return g.handler
}

// SampleRequired returns middleware that passes a request on when a draw of
// the sample called name is active ([Store.SampleIsActive], a new draw per
// request), as django-waffle's WaffleSampleMixin. "!name" negates the check;
// see [Store.FlagRequired] for the rest.
func (s *Store) SampleRequired(name string, opts *GuardOptions) func(http.Handler) http.Handler {
	g := s.newGuard("sample", name, opts, s.SampleIsActive)
	return g.handler
}

// guard is one guard's settings, fixed when it is made.
type guard struct {
	s       *Store
	kind    string
	name    string // without the "!"
	negate  bool
	check   func(ctx context.Context, name string) (bool, error)
	opts    GuardOptions
	spelled string // the name as given, for logs
}

func (s *Store) newGuard(kind, name string, opts *GuardOptions, check func(context.Context, string) (bool, error)) *guard {
	g := &guard{s: s, kind: kind, name: name, check: check, spelled: name}
	if rest, ok := strings.CutPrefix(name, "!"); ok {
		g.name, g.negate = rest, true
	}
	if opts != nil {
		g.opts = *opts
	}
	if g.opts.ErrorFunc == nil {
		g.opts.ErrorFunc = g.logError
	}
	if g.opts.NotFound == nil {
		g.opts.NotFound = http.NotFoundHandler()
	}
	return g
}

// handler wraps next with the guard.
func (g *guard) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.declare(r.Context())
		active, err := g.check(r.Context(), g.name)
		if err != nil {
			var ne *NameError
			if g.opts.OnError != GuardTreatAsOff || errors.As(err, &ne) {
				g.opts.ErrorFunc(w, r, err)
				return
			}
			g.s.readFailed(r.Context(), g.kind, g.name, err)
			active = false
		}
		if active != g.negate {
			next.ServeHTTP(w, r)
			return
		}
		if g.opts.RedirectTo != "" {
			http.Redirect(w, r, g.opts.RedirectTo, http.StatusFound)
			return
		}
		g.opts.NotFound.ServeHTTP(w, r)
	})
}

// logError is the default ErrorFunc.
func (g *guard) logError(w http.ResponseWriter, r *http.Request, err error) {
	g.s.cfg.Logger.ErrorContext(r.Context(), "waffle: guard check failed",
		"kind", g.kind, "name", g.spelled, "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}
