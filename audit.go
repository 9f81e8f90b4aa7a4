package waffle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowaffle/waffle/internal/dbtx"
	"github.com/gowaffle/waffle/internal/query"
)

// The audit trail's writing side: every change made through the library
// writes its entry in the change's own transaction (docs/audit.md). The
// public side is in history.go.

// Actions of an entry.
const (
	actionCreate = "create"
	actionUpdate = "update"
	actionDelete = "delete"
	actionSync   = "sync"
)

// auditing reports whether changes write entries (Config.DisableAudit).
func (s *Store) auditing() bool { return !s.cfg.DisableAudit }

// auditTime is t as the statements of waffle_audit take it: on SQLite
// fixed-width text, so that times compare as text in the order of time.
func (s *Store) auditTime(t time.Time) any {
	if s.q.Dialect == query.SQLite {
		return dbTime(t).Format(sqliteAuditTime)
	}
	return dbTime(t)
}

const sqliteAuditTime = "2006-01-02 15:04:05.000000+00:00"

// write runs fn, a change and its entry, in a transaction (writeTx). With
// auditing off fn is the change's one statement and runs on its own, as it
// did before the audit trail: on SQLite again while it fails with "database
// is locked" (as BEGIN does in writeTx), since a statement that failed so
// changed nothing.
func (s *Store) write(ctx context.Context, fn func(ex execer) error) error {
	if s.auditing() || s.inAppTx() {
		return s.writeTx(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.q.Dialect != query.SQLite {
		return fn(s.writePool())
	}
	return s.retryBusy(ctx, func() error { return fn(s.writePool()) })
}

// retryBusy runs fn, one statement outside a transaction, again while it
// fails with SQLite's "database is locked" (a statement that failed so
// changed nothing), waiting as BEGIN does in writeTx. In the application's
// transaction it runs fn once: the transaction holds the lock, or fails.
func (s *Store) retryBusy(ctx context.Context, fn func() error) error {
	if s.inAppTx() {
		return fn()
	}
	return dbtx.RetryBusy(ctx, fn)
}

// setAudited runs a one-row setter (SetSwitch, SetSample, Set) with its
// entry: plain is the setter's statement (name, value, time), audited the
// same change with its entry, in one statement on both databases (on
// SQLite through a view's trigger, prepared once per connection).
func (s *Store) setAudited(ctx context.Context, plain, audited string, name string, value any) error {
	now := s.now()
	// Django's tables take times as Django writes them (timeArg); the
	// library's own string flags keep the driver's form.
	at := any(now)
	if plain != "string_flag_set" {
		at = s.timeArg(now)
	}
	if !s.auditing() {
		return s.write(ctx, func(ex execer) error {
			_, err := s.exec(ctx, ex, plain, name, value, at)
			return err
		})
	}
	actor := actorFrom(ctx)
	if s.q.Dialect == query.SQLite {
		return s.retryBusy(ctx, func() error {
			_, err := s.execPrepared(ctx, audited, name, value, at, actor, s.auditTime(now))
			return err
		})
	}
	// 0 rows written: another transaction created the object between the
	// statement's read and its insert; the next run sees it.
	for range 5 {
		var n int64
		err := s.writeQueryRow(ctx, audited, name, value, at, actor).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
	}
	return errors.New("the object was created and deleted concurrently five times in a row")
}

// execPrepared runs the statement called name on the pool, prepared once
// per Store (see queryRow), or on the application's transaction.
func (s *Store) execPrepared(ctx context.Context, name string, args ...any) (sql.Result, error) {
	if db, ok := s.writePool().(*sql.DB); ok && !s.cfg.DisablePreparedStatements {
		if stmt, err := s.stmts.Get(ctx, db, s.q, name); err == nil { //nolint:sqlclosecheck // cached for the Store's life, like the pool
			return stmt.ExecContext(ctx, args...)
		}
	}
	return s.exec(ctx, s.writePool(), name, args...)
}

// deleteAudited runs the delete statement stmt of the object called name
// with its entry (auditStmt, run first, in the same transaction), and
// reports a *NotFoundError when no row went.
func (s *Store) deleteAudited(ctx context.Context, kind, stmt, auditStmt, name string) error {
	if err := ValidateName(kind, name); err != nil {
		return err
	}
	now := s.now()
	err := s.write(ctx, func(ex execer) error {
		if s.auditing() {
			if _, err := s.exec(ctx, ex, auditStmt, name, s.auditTime(now), actorFrom(ctx)); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, ex, stmt, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return &NotFoundError{Kind: kind, Name: name}
		}
		return nil
	})
	var nf *NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return opError("deleting", kind, name, err)
	}
	return err
}

// entry is an entry the library computed, written by writeEntry.
type entry struct {
	action, kind, name string
	before, after      map[string]any // nil: none
}

// writeEntry writes e on ex at the configured clock's now, when auditing is on.
func (s *Store) writeEntry(ctx context.Context, ex execer, e entry) error {
	if !s.auditing() {
		return nil
	}
	before, err := jsonOrNull(e.before)
	if err != nil {
		return err
	}
	after, err := jsonOrNull(e.after)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, ex, "audit_insert", s.auditTime(s.now()), actorFrom(ctx),
		e.action, e.kind, e.name, before, after)
	return err
}

func jsonOrNull(m map[string]any) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// diff returns the fields of before and after whose values differ, each
// side with its own values: an update's entry. Both are nil when nothing
// changed.
func diff(before, after map[string]any) (b, a map[string]any) {
	for k, av := range after {
		bv, ok := before[k]
		if ok && reflect.DeepEqual(bv, av) {
			continue
		}
		if b == nil {
			b, a = map[string]any{}, map[string]any{}
		}
		if ok {
			b[k] = bv
		}
		a[k] = av
	}
	return b, a
}

// listChange returns the values of list that are not in among (removed
// false: what an addition really adds) or that are (removed true: what a
// removal really removes), once each, in list's order.
func listChange(list, among []string, removed bool) []string {
	have := make(map[string]bool, len(among))
	for _, v := range among {
		have[v] = true
	}
	out := []string{}
	seen := make(map[string]bool, len(list))
	for _, v := range list {
		if seen[v] || have[v] != removed {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// sortedDiff returns the values of a that are not in b, sorted.
func sortedDiff(a, b []string) []string {
	out := []string{}
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// flagState returns the audited fields of f: every rule, its note, users
// and groups.
func flagState(f *Flag) map[string]any {
	users := slices.Clone(f.Users)
	groups := slices.Clone(f.Groups)
	if users == nil {
		users = []string{}
	}
	if groups == nil {
		groups = []string{}
	}
	slices.Sort(users)
	slices.Sort(groups)
	langs, _ := f.Languages.Value() // never fails
	return map[string]any{
		"everyone": f.Everyone, "percent": f.Percent, "testing": f.Testing,
		"superusers": f.Superusers, "staff": f.Staff, "authenticated": f.Authenticated,
		"languages": langs, "rollout": f.Rollout, "note": f.Note,
		"users": users, "groups": groups,
	}
}

// changeEntry returns the entry of a change of the object kind called name
// from its state before (nil: created) and after (nil: deleted). Lists
// ([]string fields) record the values that went (before) and came (after);
// ok is false when nothing changed.
func changeEntry(kind, name string, before, after map[string]any) (e entry, ok bool) {
	e = entry{kind: kind, name: name}
	switch {
	case before == nil:
		e.action, e.after = actionCreate, after
		return e, true
	case after == nil:
		e.action, e.before = actionDelete, before
		return e, true
	}
	e.action = actionUpdate
	b, a := diff(before, after)
	if a == nil {
		return e, false
	}
	for k, v := range a {
		if now, isList := v.([]string); isList {
			old, _ := before[k].([]string)
			b[k], a[k] = sortedDiff(old, now), sortedDiff(now, old)
		}
	}
	e.before, e.after = b, a
	return e, true
}

// loadFlagState reads the audited state of the flag called name on ex, its
// row locked on PostgreSQL; found is false when it does not exist.
func (s *Store) loadFlagState(ctx context.Context, ex execer, name string) (id int64, state map[string]any, found bool, err error) {
	var (
		f        Flag
		everyone sql.NullBool
		percent  sql.NullFloat64
	)
	err = ex.QueryRowContext(ctx, s.q.SQL("audit_flag_old"), name).Scan(&f.ID, &everyone, &percent,
		&f.Testing, &f.Superusers, &f.Staff, &f.Authenticated, &f.Languages, &f.Rollout, &f.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	if everyone.Valid {
		f.Everyone = &everyone.Bool
	}
	if percent.Valid {
		f.Percent = &percent.Float64
	}
	if f.Users, err = scanStrings(ctx, s, ex, "flag_users", f.ID); err != nil {
		return 0, nil, false, err
	}
	if f.Groups, err = scanStrings(ctx, s, ex, "flag_groups", f.ID); err != nil {
		return 0, nil, false, err
	}
	return f.ID, flagState(&f), true, nil
}

// windowState returns the audited fields of a window.
func windowState(m FlagMember) map[string]any {
	st := map[string]any{
		"id": m.ID, "flag": m.Flag, "user": m.User,
		"start": m.Start.UTC().Format(time.RFC3339Nano), "end": nil, "note": m.Note,
	}
	if m.End != nil {
		st["end"] = m.End.UTC().Format(time.RFC3339Nano)
	}
	return st
}

// actorKey is the context key of WithActor.
type actorKey struct{}

// MaxActorLength is the most code points of an actor that entries keep.
const MaxActorLength = 255

// actorFrom returns the actor WithActor put in ctx, or "".
func actorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}

// cleanActor makes any string storable as an actor: invalid UTF-8 becomes
// U+FFFD, NUL characters go (PostgreSQL's text cannot hold them), and it is
// cut to MaxActorLength code points.
func cleanActor(a string) string {
	a = strings.ToValidUTF8(a, "\uFFFD")
	a = strings.ReplaceAll(a, "\x00", "")
	if utf8.RuneCountInString(a) > MaxActorLength {
		r := []rune(a)
		a = string(r[:MaxActorLength])
	}
	return a
}
