package waffle

import (
	"context"
	"errors"
	"sync"
	"time"
)

// FlagIsActiveOr is [Store.FlagIsActive] without an error branch: on any
// error (the database is unreachable, the context ended, an invalid name) it
// returns dflt and logs the error through Config.Logger, rate-limited (see
// Config.ErrorLogInterval). A missing flag is not an error: it reads as
// Config.FlagDefault, as in FlagIsActive.
func (s *Store) FlagIsActiveOr(ctx context.Context, name string, dflt bool) bool {
	d, err := s.evalFlag(ctx, name, formActive, nil)
	if err != nil {
		s.readFailed(ctx, "flag", name, err)
		return dflt
	}
	return d.Active
}

// SwitchIsActiveOr is [Store.SwitchIsActive] returning dflt on any error,
// which it logs as [Store.FlagIsActiveOr] does.
func (s *Store) SwitchIsActiveOr(ctx context.Context, name string, dflt bool) bool {
	on, err := s.SwitchIsActive(ctx, name)
	if err != nil {
		s.readFailed(ctx, "switch", name, err)
		return dflt
	}
	return on
}

// SampleIsActiveOr is [Store.SampleIsActive] returning dflt on any error,
// which it logs as [Store.FlagIsActiveOr] does.
func (s *Store) SampleIsActiveOr(ctx context.Context, name string, dflt bool) bool {
	on, err := s.SampleIsActive(ctx, name)
	if err != nil {
		s.readFailed(ctx, "sample", name, err)
		return dflt
	}
	return on
}

// GetOr returns the text of the string flag called name, or dflt when it is
// missing, NULL or cannot be read (an error is logged as
// [Store.FlagIsActiveOr] does).
func (s *Store) GetOr(ctx context.Context, name, dflt string) string {
	return s.Lookup(ctx, name).StringOr(dflt)
}

// Lookup is [Store.Get] without an error branch: on any error the Value is
// missing, and the error is logged as [Store.FlagIsActiveOr] does (a missing
// flag in the Exception mode is not logged). Its typed reads with a default
// finish the job:
//
//	limit := store.Lookup(ctx, "upload-limit").IntOr(10)
func (s *Store) Lookup(ctx context.Context, name string) Value {
	v, err := s.Get(ctx, name)
	if err != nil {
		if !errors.Is(err, ErrNoSuchFlag) {
			s.readFailed(ctx, "string flag", name, err)
		}
		return Value{mode: s.cfg.MissingFlagHandling, name: name}
	}
	return v
}

// readFailed logs a failed read that answered a default, at most once per
// kind, name and kind of error per Config.ErrorLogInterval, with the number
// of records it held back since the last one.
func (s *Store) readFailed(ctx context.Context, kind, name string, err error) {
	if s.errLog == nil { // a Store made without New
		return
	}
	key := errLogKey{kind: kind, name: name, class: errorClass(err)}
	suppressed, ok := s.errLog.allow(key, s.cfg.Now(), s.cfg.ErrorLogInterval)
	if !ok {
		return
	}
	s.cfg.Logger.ErrorContext(ctx, "waffle: read failed, answered the caller's default",
		"kind", kind, "name", name, "error", err, "suppressed", suppressed)
}

// errorClass groups errors for the rate limit: one record per class.
func errorClass(err error) string {
	var ne *NameError
	switch {
	case errors.As(err, &ne):
		return "name"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	}
	return "database"
}

// errLimiter rate-limits the error records of the Or reads. It is shared by
// a Store and its WithTx copies, and starts no goroutine: entries age out
// when the map is full.
type errLimiter struct {
	mu sync.Mutex
	m  map[errLogKey]*errLogEntry
}

type errLogKey struct{ kind, name, class string }

type errLogEntry struct {
	last       time.Time
	suppressed int
}

// errLimiterMax bounds the limiter's memory when names come from outside.
const errLimiterMax = 1024

// allow reports whether a record for key may be written at now, and how many
// were held back since the last one.
func (l *errLimiter) allow(key errLogKey, now time.Time, every time.Duration) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[errLogKey]*errLogEntry{}
	}
	e := l.m[key]
	if e != nil && now.Sub(e.last) < every {
		e.suppressed++
		return 0, false
	}
	if e == nil {
		if len(l.m) >= errLimiterMax {
			for k, old := range l.m {
				if now.Sub(old.last) >= every {
					delete(l.m, k)
				}
			}
			if len(l.m) >= errLimiterMax {
				clear(l.m) // every entry is recent: an outage over many names
			}
		}
		e = &errLogEntry{}
		l.m[key] = e
	}
	suppressed, e.suppressed, e.last = e.suppressed, 0, now
	return suppressed, true
}
