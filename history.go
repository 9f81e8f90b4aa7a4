package waffle

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/gowaffle/waffle/internal/query"
)

// WithActor returns a copy of ctx that names who makes the changes done
// with it: the audit entries they write record actor (see [Store.History]).
// Without it entries record "", and nothing is refused. Invalid UTF-8
// becomes U+FFFD, NUL characters are dropped, and an actor is cut to
// [MaxActorLength] code points.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, cleanActor(actor))
}

// HistoryEntry is one change recorded in the audit trail.
type HistoryEntry struct {
	// ID orders the entries: a later change has a greater ID. Pass the last
	// ID of a page as [HistoryFilter].Before to get the next one.
	ID int64 `json:"id"`
	// At is when the change was made, by the configured clock (Config.Now).
	At time.Time `json:"at"`
	// Actor is who made it ([WithActor]), or "".
	Actor string `json:"actor"`
	// Action is "create", "update", "delete" or "sync".
	Action string `json:"action"`
	// Kind is what changed: "flag", "switch", "sample", "string_flag",
	// "group" or "window".
	Kind string `json:"kind"`
	// Name is the object's name; for a window, its flag's.
	Name string `json:"name"`
	// Before and After are the object's state as JSON objects: for an
	// update only the fields that changed (for a list, the values that went
	// and the values that came), for a create After only, for a delete
	// Before only, for a sync After holds the counts. nil when absent.
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// HistoryFilter selects the entries [Store.History] returns. The zero value
// selects the newest [DefaultHistoryLimit] entries.
type HistoryFilter struct {
	Kind  string    // only entries of this kind ("flag", "switch", ...)
	Name  string    // only entries of the object with this name
	Actor string    // only entries of this actor
	Since time.Time // only entries at or after Since (zero: no bound)
	Until time.Time // only entries before Until (zero: no bound)
	// Limit is the most entries returned: 0 means DefaultHistoryLimit; it
	// must not be negative nor above MaxHistoryLimit.
	Limit int
	// Before, when set, keeps the entries whose ID is less: the cursor of
	// the next page (the last ID of the previous one).
	Before int64
}

// Limits of a page of history.
const (
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 10000
)

// History returns the entries f selects, newest first, in one statement
// through an index of f's most selective filter (name, actor, time), however
// long the history (on SQLite, a name's page searches its index once per
// 65,536 ids, newest first, until the page is full). Entries written while one pages through (with
// f.Before) have greater IDs and never appear on later pages.
func (s *Store) History(ctx context.Context, f HistoryFilter) ([]HistoryEntry, error) {
	if f.Limit < 0 || f.Limit > MaxHistoryLimit {
		return nil, &ValueError{Kind: "history", Field: "limit",
			Reason: "must be from 0 to " + strconv.Itoa(MaxHistoryLimit) + ", got " + strconv.Itoa(f.Limit)}
	}
	if f.Before < 0 {
		return nil, &ValueError{Kind: "history", Field: "before", Reason: "must not be negative"}
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultHistoryLimit
	}
	before := int64(math.MaxInt64)
	if f.Before > 0 {
		before = f.Before
	}
	var since, until any // NULL: no bound
	if !f.Since.IsZero() {
		since = s.auditTime(f.Since)
	}
	if !f.Until.IsZero() {
		until = s.auditTime(f.Until)
	}
	stmt := "history"
	switch {
	case f.Name != "":
		stmt = "history_name"
	case f.Actor != "":
		stmt = "history_actor"
	case !f.Since.IsZero() || !f.Until.IsZero():
		stmt = "history_time"
	}
	args := []any{before, f.Kind, f.Name, f.Actor, since, until, limit}
	out := []HistoryEntry{}
	if stmt != "history_name" || s.Dialect() != query.SQLite {
		out, err := s.historyPage(ctx, out, stmt, args...)
		if err != nil {
			return nil, opError("reading", "history", "", err)
		}
		return out, nil
	}
	// SQLite's name index leads with a bucket of the id (schema version 5,
	// docs/audit.md): read the name's entries bucket by bucket, from the
	// newest bucket below the cursor down, until the page is full. Each is
	// one index search; the statements run in the process, without a round
	// trip. Entries are never updated and new ones have greater ids, so the
	// page is the one a single statement would read.
	var last int64
	if err := s.pool().QueryRowContext(ctx, s.q.SQL("history_last_id")).Scan(&last); err != nil {
		return nil, opError("reading", "history", "", err)
	}
	last = min(last, before-1)
	for bucket := last >> auditBucketBits; bucket >= 0 && len(out) < limit && last > 0; bucket-- {
		args[6] = limit - len(out)
		var err error
		if out, err = s.historyPage(ctx, out, stmt, append(args, bucket)...); err != nil {
			return nil, opError("reading", "history", "", err)
		}
	}
	return out, nil
}

// auditBucketBits is the bucket of SQLite's name index on the audit trail:
// ids id >> auditBucketBits (migrations/sqlite/0005_audit_name_bucket.up.sql).
const auditBucketBits = 16

// historyPage appends to out the entries statement stmt reads with args.
func (s *Store) historyPage(ctx context.Context, out []HistoryEntry, stmt string, args ...any) ([]HistoryEntry, error) {
	rows, err := s.query(ctx, s.pool(), stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e HistoryEntry
		var b, a []byte
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Kind, &e.Name, &b, &a); err != nil {
			return nil, err
		}
		e.At = dbTime(e.At)
		e.Before, e.After = compactJSON(b), compactJSON(a)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// compactJSON returns stored JSON text without insignificant spaces (the
// databases' JSON functions format differently), or nil for NULL.
func compactJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return json.RawMessage(b)
	}
	return json.RawMessage(buf.Bytes())
}

// PruneHistory deletes the entries recorded before before (by their time)
// and returns how many went. Nothing else ever deletes entries: not the
// deletion of the object they describe, nor time.
func (s *Store) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, s.writePool(), "history_prune", s.auditTime(before))
	if err != nil {
		return 0, opError("pruning", "history", "", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, opError("pruning", "history", "", err)
	}
	return n, nil
}
