package waffle

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"time"
)

// StatusHandler returns a handler that serves django-waffle's waffle_status:
// every flag, switch and sample that exists, with its state for this request
// and when it last changed, as JSON:
//
//	{"flags":    {"beta":   {"is_active": true,  "last_modified": "2020-01-01T12:00:00.123Z"}},
//	 "switches": {"banner": {"is_active": false, "last_modified": "2020-01-01T12:00:00.000Z"}},
//	 "samples":  {"logs":   {"is_active": true,  "last_modified": "2020-01-01T12:00:00.000Z"}}}
//
// Flags are evaluated for the request, with their cookies (the handler runs
// [Store.Middleware] itself when none is in front of it), and samples are
// drawn, as upstream. last_modified is RFC 3339 in UTC with exactly three
// decimals (upstream drops them when they are zero). The response is
// application/json and never cached. A failed read is logged through
// Config.Logger and answered with a plain 500.
//
//	mux.Handle("GET /waffle_status", store.StatusHandler())
//
// The status tells anyone who can reach it which features exist: mount it
// behind the application's authentication when names are private.
func (s *Store) StatusHandler() http.Handler {
	return s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap, err := s.snapshot(r.Context())
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

// statusEntry is one object's state in a snapshot.
type statusEntry struct {
	name     string
	active   bool
	modified time.Time
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

// snapshot is every flag, switch and sample with its state for one request.
type snapshot struct {
	flags, switches, samples statusMap
}

// snapshot lists every flag, switch and sample and evaluates them for the
// request in ctx: three listing statements, then one evaluation statement per
// flag. Samples are drawn from their listed percent with the rule of
// [Store.SampleIsActive]. Rows whose names break the name rule (written by
// another tool into a shared database) are left out: the library cannot
// evaluate them.
func (s *Store) snapshot(ctx context.Context) (*snapshot, error) {
	var snap snapshot
	var err error
	snap.flags, err = s.listStatus(ctx, "status_flags", "flags", func(rows *sql.Rows, e *statusEntry) error {
		return rows.Scan(&e.name, &e.modified)
	})
	if err != nil {
		return nil, err
	}
	for i := range snap.flags {
		e := &snap.flags[i]
		if e.active, err = s.FlagIsActive(ctx, e.name); err != nil {
			return nil, err
		}
	}
	snap.switches, err = s.listStatus(ctx, "status_switches", "switches", func(rows *sql.Rows, e *statusEntry) error {
		return rows.Scan(&e.name, &e.active, &e.modified)
	})
	if err != nil {
		return nil, err
	}
	snap.samples, err = s.listStatus(ctx, "status_samples", "samples", func(rows *sql.Rows, e *statusEntry) error {
		var percent float64
		if err := rows.Scan(&e.name, &percent, &e.modified); err != nil {
			return err
		}
		e.active = s.cfg.Rand()*100 < percent
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &snap, nil
}

// listStatus runs the listing statement stmt and scans each row into an
// entry, leaving out invalid names.
func (s *Store) listStatus(ctx context.Context, stmt, kinds string, scan func(*sql.Rows, *statusEntry) error) (statusMap, error) {
	rows, err := s.query(ctx, s.pool(), stmt)
	if err != nil {
		return nil, opError("listing", kinds, "", err)
	}
	defer rows.Close()
	var out statusMap
	for rows.Next() {
		var e statusEntry
		if err := scan(rows, &e); err != nil {
			return nil, opError("listing", kinds, "", err)
		}
		if nameProblem(e.name) == "" {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, opError("listing", kinds, "", err)
	}
	return out, nil
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
