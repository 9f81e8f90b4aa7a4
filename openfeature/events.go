package openfeature

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/gowaffle/waffle/internal/query"
)

// Init runs one query (the SDK then emits PROVIDER_READY, or PROVIDER_ERROR
// with the error) and, with Options.Events, starts the watcher.
func (p *Provider) Init(evalCtx of.EvaluationContext) error {
	return p.InitWithContext(context.Background(), evalCtx)
}

// InitWithContext is Init with a context for the first query.
func (p *Provider) InitWithContext(ctx context.Context, _ of.EvaluationContext) error {
	w := p.newWatcher()
	if err := w.poll(ctx, true); err != nil {
		return fmt.Errorf("waffle/openfeature: first query: %w", err)
	}
	if !p.opts.Events {
		w.close()
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		w.close()
		return nil // already running
	}
	wctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.watch(wctx, w, p.done)
	return nil
}

// Shutdown stops the watcher, if it runs, and waits for it.
func (p *Provider) Shutdown() { _ = p.ShutdownWithContext(context.Background()) }

// ShutdownWithContext is Shutdown; it gives up waiting when ctx ends.
func (p *Provider) ShutdownWithContext(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done = nil, nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// EventChannel is where the watcher sends its events.
func (p *Provider) EventChannel() <-chan of.Event { return p.events }

// watch polls every PollInterval until ctx ends.
func (p *Provider) watch(ctx context.Context, w *watcher, done chan struct{}) {
	defer close(done)
	defer w.close()
	t := time.NewTicker(p.opts.PollInterval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := w.poll(ctx, false)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil:
			failures++
			// The first failure makes what the application last heard stale;
			// the second, in a row, is an error until the database answers.
			switch failures {
			case 1:
				p.emit(ctx, of.ProviderStale, "waffle: database unreachable: "+err.Error(), nil)
			case 2:
				p.emit(ctx, of.ProviderError, "waffle: database unreachable: "+err.Error(), nil)
			}
			p.opts.Logger.WarnContext(ctx, "waffle/openfeature: poll failed", "error", err, "failures", failures)
			continue
		case failures > 0:
			failures = 0
			p.emit(ctx, of.ProviderReady, "waffle: database reachable again", nil)
		}
		if changed := w.takeChanges(); len(changed) > 0 {
			p.emit(ctx, of.ProviderConfigChange, "waffle: flags changed", changed)
		}
	}
}

// emit sends an event, or gives up when ctx ends.
func (p *Provider) emit(ctx context.Context, t of.EventType, msg string, changed []string) {
	ev := of.Event{ProviderName: "waffle", EventType: t,
		ProviderEventDetails: of.ProviderEventDetails{Message: msg, FlagChanges: changed}}
	if t == of.ProviderError {
		ev.ErrorCode = of.GeneralCode
	}
	select {
	case p.events <- ev:
	case <-ctx.Done():
	}
}

// watcher tracks a version of the flag tables and, when it moves, every
// key's modified time, to tell which keys changed.
type watcher struct {
	p       *Provider
	q       *query.Set
	conn    *sql.Conn // SQLite: PRAGMA data_version is per connection
	version string
	keys    map[string]string // key -> modified
	changed []string
}

func (p *Provider) newWatcher() *watcher {
	return &watcher{p: p, q: query.For(p.store.Dialect())}
}

func (w *watcher) close() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// poll reads the version and, when it moved (or first), the keys.
func (w *watcher) poll(ctx context.Context, first bool) error {
	sqlDB, err := w.p.db.DB()
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, max(w.p.opts.PollInterval, time.Second))
	defer cancel()
	var version string
	if w.q.Dialect == query.SQLite {
		if w.conn == nil {
			if w.conn, err = sqlDB.Conn(qctx); err != nil {
				return err
			}
		}
		var n int64
		if err := w.conn.QueryRowContext(qctx, w.q.SQL("change_version")).Scan(&n); err != nil {
			w.close() // a new connection next time
			return err
		}
		version = fmt.Sprint(n)
	} else if err := sqlDB.QueryRowContext(qctx, w.q.SQL("change_version")).Scan(&version); err != nil {
		return err
	}
	// SQLite's data_version does not move for the watcher's own connection
	// being new: list the keys on the first poll to have a base.
	if version == w.version && !first {
		return nil
	}
	keys, err := w.list(qctx, sqlDB)
	if err != nil {
		return err
	}
	if w.keys != nil {
		w.changed = append(w.changed, diff(w.keys, keys)...)
	}
	w.version, w.keys = version, keys
	return nil
}

// list reads every key and its modified time.
func (w *watcher) list(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, w.q.SQL("change_list"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := map[string]string{}
	for rows.Next() {
		var kind, name string
		var modified sql.NullString
		if err := rows.Scan(&kind, &name, &modified); err != nil {
			return nil, err
		}
		keys[keyOf(kind, name)] = modified.String
	}
	return keys, rows.Err()
}

// keyOf is the OpenFeature key of a row: flags and string flags by name,
// switches and samples with their prefix.
func keyOf(kind, name string) string {
	switch kind {
	case "switch":
		return SwitchPrefix + name
	case "sample":
		return SamplePrefix + name
	case "string":
		return StringPrefix + name
	}
	return name
}

// takeChanges returns the keys changed since the last call, sorted, without
// repeats: a string flag is reported under its name and "string:" name.
func (w *watcher) takeChanges() []string {
	if len(w.changed) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range w.changed {
		names := []string{k}
		if len(k) > len(StringPrefix) && k[:len(StringPrefix)] == StringPrefix {
			names = []string{k[len(StringPrefix):], k}
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	w.changed = nil
	sort.Strings(out)
	return out
}

// diff returns the keys added, removed or modified from old to cur.
func diff(old, cur map[string]string) []string {
	var out []string
	for k, m := range cur {
		if om, ok := old[k]; !ok || om != m {
			out = append(out, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
