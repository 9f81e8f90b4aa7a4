package waffle

import (
	"encoding/json"
	"net/http"
	"time"
)

// StatusHandler returns a handler that serves django-waffle's waffle_status:
// every flag, switch and sample that exists, with its state for this request
// and when it last changed, as JSON:
//
//	{"flags": {"beta": {"is_active": true, "last_modified": "2020-01-01T12:00:00.123Z"}},
//	 "switches": {...}, "samples": {...}}
//
// Flags are evaluated for the request, with their cookies (the handler runs
// [Store.Middleware] itself when none is in front of it), and samples are
// drawn, as upstream. last_modified is RFC 3339 in UTC with exactly three
// decimals. The response is application/json and never cached; a failed read
// is logged and answered with a plain 500. The status tells anyone who can
// reach it which features exist: mount it behind your authentication when
// names are private.
func (s *Store) StatusHandler() http.Handler {
	return s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap, err := s.list(r.Context())
		if err != nil {
			s.serverError(w, r, "making the waffle status", err)
			return
		}
		body, err := json.Marshal(struct {
			Flags    statusMap `json:"flags"`
			Switches statusMap `json:"switches"`
			Samples  statusMap `json:"samples"`
		}{snap.flags, snap.switches, snap.samples})
		if err != nil {
			s.serverError(w, r, "encoding the waffle status", err)
			return
		}
		neverCache(w.Header(), s.cfg.Now())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
}

// statusMap encodes entries as a JSON object in their order:
// {"name": {"is_active": true, "last_modified": "..."}}.
type statusMap []statusEntry

// MarshalJSON writes the object; names are JSON strings with <, > and &
// escaped, as encoding/json writes them.
func (m statusMap) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, e := range m {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, jsString(e.name)...)
		b = append(b, `:{"is_active":`...)
		b = append(b, jsBool(e.active)...)
		b = append(b, `,"last_modified":"`...)
		b = e.modified.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = append(b, `"}`...)
	}
	return append(b, '}'), nil
}

// neverCache sets Django's never_cache headers: the response must not be
// stored or reused by any cache.
func neverCache(h http.Header, now time.Time) {
	h.Set("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
	h.Set("Expires", now.UTC().Format(http.TimeFormat))
}

// serverError logs err through Config.Logger and answers a plain 500 that
// does not show it.
func (s *Store) serverError(w http.ResponseWriter, r *http.Request, doing string, err error) {
	s.cfg.Logger.ErrorContext(r.Context(), "waffle: "+doing+" failed", "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}
