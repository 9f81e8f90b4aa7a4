package waffle

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Names lists what [Store.Evaluate] reads: flags, switches, samples and
// string flags, by name. Order and repeats do not matter.
type Names struct {
	Flags       []string
	Switches    []string
	Samples     []string
	StringFlags []string
}

// Results holds the answers of [Store.Evaluate], by name: each is what the
// one-name call ([Store.FlagIsActive], [Store.SwitchIsActive],
// [Store.SampleIsActive], [Store.Get]) would have returned.
type Results struct {
	Flags       map[string]bool
	Switches    map[string]bool
	Samples     map[string]bool
	StringFlags map[string]Value
}

// Evaluate answers every name of n for the request in ctx in one SQL
// statement: each answer, cookie decision, testing and override decision,
// sample draw and missing-object handling (logged, created, defaulted) is
// the one the one-name call would give, taken in the order of n (flags,
// switches, samples, string flags). Creating missing objects adds at most
// one statement per kind. An invalid name returns its *NameError and sends
// nothing; a string flag missing under [Exception] is in StringFlags as a
// missing Value, and Evaluate returns no error for it.
//
// While the snapshot ([Store.StartSnapshot]) serves reads, Evaluate answers
// from it, with the same answers and decisions: no statement for names it
// holds, one for the user's memberships when a flag needs them, one for
// the names it does not hold (missing, or created since its last load).
// A single flag and nothing else is read with [Store.FlagIsActive]'s own
// statement, the narrower one.
func (s *Store) Evaluate(ctx context.Context, n Names) (*Results, error) {
	if err := validateNames(n); err != nil {
		return nil, err
	}
	if d := s.snapshotData(); d != nil {
		return s.evaluateSnapshot(ctx, d, n)
	}
	if len(n.Flags) == 1 && len(n.Switches)+len(n.Samples)+len(n.StringFlags) == 0 {
		on, err := s.FlagIsActive(ctx, n.Flags[0])
		if err != nil {
			return nil, err
		}
		return &Results{Flags: map[string]bool{n.Flags[0]: on}, Switches: map[string]bool{},
			Samples: map[string]bool{}, StringFlags: map[string]Value{}}, nil
	}
	b, err := s.fetchBatch(ctx, n, userFrom(ctx))
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, b, n)
}

// missing returns the names of n that d does not hold (a string flag whose
// value is NULL included: Get reads it from the database).
func (d *snapData) missing(n Names) Names {
	var rest Names
	for _, name := range n.Flags {
		if d.flags[name] == nil {
			rest.Flags = append(rest.Flags, name)
		}
	}
	for _, name := range n.Switches {
		if _, ok := d.switches[name]; !ok {
			rest.Switches = append(rest.Switches, name)
		}
	}
	for _, name := range n.Samples {
		if _, ok := d.samples[name]; !ok {
			rest.Samples = append(rest.Samples, name)
		}
	}
	for _, name := range n.StringFlags {
		if v, ok := d.strings[name]; !ok || !v.Valid {
			rest.StringFlags = append(rest.StringFlags, name)
		}
	}
	return rest
}

// evaluateSnapshot is Evaluate on the snapshot d: the names d does not
// hold are read in one batch statement (which logs and creates the missing
// ones), then every name is answered in n's order, as answer does.
func (s *Store) evaluateSnapshot(ctx context.Context, d *snapData, n Names) (*Results, error) {
	rest := d.missing(n)
	b := newBatch(nil, Names{})
	if len(rest.Flags)+len(rest.Switches)+len(rest.Samples)+len(rest.StringFlags) > 0 {
		var err error
		if b, err = s.fetchBatch(ctx, rest, userFrom(ctx)); err != nil {
			return nil, err
		}
	}
	res := &Results{
		Flags:       make(map[string]bool, len(n.Flags)),
		Switches:    make(map[string]bool, len(n.Switches)),
		Samples:     make(map[string]bool, len(n.Samples)),
		StringFlags: make(map[string]Value, len(n.StringFlags)),
	}
	var mc *memberships // the user's memberships: one statement per call at most
	for _, name := range n.Flags {
		if _, done := res.Flags[name]; done {
			continue
		}
		on, ok, err := s.snapshotFlag(ctx, d, name, &mc)
		if !ok {
			on, err = s.batchFlag(ctx, b, name)
		}
		if err != nil {
			return nil, err
		}
		res.Flags[name] = on
	}
	for _, name := range n.Switches {
		if on, ok := d.switches[name]; ok {
			res.Switches[name] = on
		} else {
			res.Switches[name] = b.switchAnswer(s, name)
		}
	}
	for _, name := range n.Samples {
		if _, done := res.Samples[name]; done {
			continue
		}
		if p, ok := d.samples[name]; ok {
			res.Samples[name] = s.sampleDraw(p)
		} else {
			res.Samples[name] = b.sampleAnswer(s, name)
		}
	}
	for _, name := range n.StringFlags {
		if v, ok := d.strings[name]; ok && v.Valid {
			res.StringFlags[name] = Value{mode: s.cfg.MissingFlagHandling, found: true, str: v.String}
		} else {
			res.StringFlags[name] = b.stringAnswer(s, name)
		}
	}
	return res, nil
}

// answer decides every name of n from the rows in b.
func (s *Store) answer(ctx context.Context, b *batch, n Names) (*Results, error) {
	res := &Results{
		Flags:       make(map[string]bool, len(n.Flags)),
		Switches:    make(map[string]bool, len(n.Switches)),
		Samples:     make(map[string]bool, len(n.Samples)),
		StringFlags: make(map[string]Value, len(n.StringFlags)),
	}
	for _, name := range n.Flags {
		if _, done := res.Flags[name]; done {
			continue
		}
		on, err := s.batchFlag(ctx, b, name)
		if err != nil {
			return nil, err
		}
		res.Flags[name] = on
	}
	for _, name := range n.Switches {
		res.Switches[name] = b.switchAnswer(s, name)
	}
	for _, name := range n.Samples {
		if _, done := res.Samples[name]; !done {
			res.Samples[name] = b.sampleAnswer(s, name)
		}
	}
	for _, name := range n.StringFlags {
		res.StringFlags[name] = b.stringAnswer(s, name)
	}
	return res, nil
}

// batch is the rows one batch statement returned, for one user.
type batch struct {
	userID   string
	groups   []string
	flags    map[string]*flagRow // nil: missing
	rows     []flagRow           // the flags' rows, allocated at once (scan)
	switches map[string]sql.NullBool
	samples  map[string]sql.NullFloat64
	strings  map[string]batchString
	// order lists the flags, switches and samples of an all-rows batch
	// (the status view and wafflejs) by kind and name, with modified.
	order [3][]statusEntry
	all   bool // read by batch_eval_all
}

type batchString struct {
	value sql.NullString
	found bool // a row, NULL value or not
}

// Row kinds in the batch statements' first column.
const (
	kindFlag = iota
	kindSwitch
	kindSample
	kindString
)

// batchFlag decides one flag from b: the flag's own call's steps, on the
// row b holds.
func (s *Store) batchFlag(ctx context.Context, b *batch, name string) (bool, error) {
	r, ok := b.flags[name]
	if !ok || r == nil {
		return s.cfg.FlagDefault, nil
	}
	rr := *r // applyRamp writes the percent: keep b's row as read
	if err := rr.applyRamp(s.cfg.Now); err != nil {
		return false, opError("evaluating", "flag", name, err)
	}
	on, _ := s.decide(ctx, name, &rr, userFrom(ctx))
	return on, nil
}

func (b *batch) switchAnswer(s *Store, name string) bool {
	if v, ok := b.switches[name]; ok && v.Valid {
		return v.Bool
	}
	return s.cfg.SwitchDefault
}

// sampleAnswer draws anew, as every SampleIsActive call does.
func (b *batch) sampleAnswer(s *Store, name string) bool {
	if p, ok := b.samples[name]; ok && p.Valid {
		return s.sampleDraw(p.Float64)
	}
	return s.cfg.SampleDefault
}

func (b *batch) stringAnswer(s *Store, name string) Value {
	v := Value{mode: s.cfg.MissingFlagHandling}
	r, ok := b.strings[name]
	switch {
	case ok && r.value.Valid:
		v.found, v.str = true, r.value.String
	case ok && r.found:
		v.null = true
	}
	return v
}

// stringResult is stringAnswer as Get returns it: under [Exception], a
// missing flag is a *NotFoundError.
func (b *batch) stringResult(s *Store, name string) (Value, error) {
	v := b.stringAnswer(s, name)
	if !v.found && v.mode == Exception {
		return v, &NotFoundError{Kind: "string flag", Name: name}
	}
	return v, nil
}

// validateNames checks every name of n, before any statement.
func validateNames(n Names) error {
	for _, l := range []struct {
		kind  string
		names []string
	}{{"flag", n.Flags}, {"switch", n.Switches}, {"sample", n.Samples}, {"string flag", n.StringFlags}} {
		for _, name := range l.names {
			if err := ValidateName(l.kind, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// fetchBatch reads every name of n, which the caller validated, for u in
// one statement, then logs and creates the missing ones as Config says.
func (s *Store) fetchBatch(ctx context.Context, n Names, u *User) (*batch, error) {
	return s.fetchNames(ctx, n, s.batchArgs(n), u)
}

// fetchDeclared is fetchBatch on a declaration's names, with the lists it
// encoded once.
func (s *Store) fetchDeclared(ctx context.Context, d *declaration, u *User) (*batch, error) {
	if d.err != nil {
		return nil, d.err
	}
	return s.fetchNames(ctx, d.names, d.args, u)
}

// batchArgs is the name lists of batch_eval, encoded by listArg.
type batchArgs struct {
	flags, switches, samples, strings string
}

// batchArgs encodes n's lists for batch_eval.
func (s *Store) batchArgs(n Names) batchArgs {
	return batchArgs{flags: s.listArg(n.Flags, false), switches: s.listArg(n.Switches, false),
		samples: s.listArg(n.Samples, false), strings: s.listArg(n.StringFlags, false)}
}

// fetchNames is fetchBatch once n is validated and encoded as args.
func (s *Store) fetchNames(ctx context.Context, n Names, args batchArgs, u *User) (*batch, error) {
	b := newBatch(u, n)
	var rows *sql.Rows
	var err error
	if len(n.Samples)+len(n.StringFlags) == 0 {
		rows, err = s.batchQuery(ctx, "batch_eval_flags", args.flags, b.userID, s.listArg(b.groups, true), args.switches)
	} else {
		rows, err = s.batchQuery(ctx, "batch_eval", args.flags, b.userID, s.listArg(b.groups, true),
			args.switches, args.samples, args.strings)
	}
	if err != nil {
		return nil, opError("reading", "batch", "", err)
	}
	if err := b.scan(rows, false); err != nil {
		return nil, opError("reading", "batch", "", err)
	}
	if err := s.batchMissing(ctx, b, n); err != nil {
		return nil, err
	}
	return b, nil
}

// fetchAll reads every flag, switch and sample for u in one statement.
func (s *Store) fetchAll(ctx context.Context, u *User) (*batch, error) {
	b := newBatch(u, Names{})
	b.all = true
	rows, err := s.batchQuery(ctx, "batch_eval_all", b.userID, s.listArg(b.groups, true))
	if err != nil {
		return nil, opError("listing", "flags", "", err)
	}
	if err := b.scan(rows, true); err != nil {
		return nil, opError("listing", "flags", "", err)
	}
	return b, nil
}

// newBatch returns an empty batch for u, sized for n's names.
func newBatch(u *User, n Names) *batch {
	b := &batch{
		flags:    make(map[string]*flagRow, len(n.Flags)),
		switches: make(map[string]sql.NullBool, len(n.Switches)),
		samples:  make(map[string]sql.NullFloat64, len(n.Samples)),
		strings:  make(map[string]batchString, len(n.StringFlags)),
		rows:     make([]flagRow, 0, len(n.Flags)),
	}
	if u != nil {
		if storableUserID(u.ID) {
			b.userID = u.ID
		}
		b.groups = u.Groups
	}
	return b
}

// batchQuery runs a batch statement, prepared once per Store outside a
// transaction, as queryRow does.
func (s *Store) batchQuery(ctx context.Context, name string, args ...any) (*sql.Rows, error) {
	if db, ok := s.pool().(*sql.DB); ok {
		if stmt, err := s.stmts.Get(ctx, db, s.q, name); err == nil { //nolint:sqlclosecheck // cached for the Store's life
			return stmt.QueryContext(ctx, args...)
		}
	}
	return s.query(ctx, s.pool(), name, args...)
}

// scan reads the batch statement's rows into b. With all, rows whose names
// break the name rule are left out (written by another tool: the library
// cannot evaluate them) and the order is kept.
func (b *batch) scan(rows *sql.Rows, all bool) error {
	defer rows.Close()
	// One set of destinations for every row (each would otherwise escape
	// to the heap, row by row); a flag's row is copied out.
	var (
		kind     int
		name     string
		r        flagRow
		member   sql.NullBool
		active   sql.NullBool
		value    sql.NullString
		modified time.Time
	)
	dest := []any{&kind, &name, &r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff,
		&r.authenticated, &r.languages, &r.rollout, &r.ramp, &member, &active, &value, &modified}
	if !all {
		dest = dest[:len(dest)-1] // batch_eval(_flags) has no modified column
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if all && nameProblem(name) != "" {
			continue
		}
		r.member = member.Bool
		switch kind {
		case kindFlag:
			b.flags[name] = b.addRow(r)
		case kindSwitch:
			b.switches[name] = active
		case kindSample:
			b.samples[name] = r.percent
		case kindString:
			b.strings[name] = batchString{value: value, found: true}
		}
		if all && kind <= kindSample {
			b.order[kind] = append(b.order[kind], statusEntry{name: name, modified: modified, active: active.Bool})
		}
	}
	return rows.Err()
}

// addRow returns a copy of r held by b: in b.rows while it has room (one
// allocation for the flags newBatch was sized for), else on its own.
func (b *batch) addRow(r flagRow) *flagRow {
	if len(b.rows) == cap(b.rows) {
		fr := new(flagRow)
		*fr = r
		return fr
	}
	b.rows = append(b.rows, r)
	return &b.rows[len(b.rows)-1]
}

// batchMissing logs and creates what n names and b lacks, in n's order, as
// the one-name calls do: one create statement per kind at most.
func (s *Store) batchMissing(ctx context.Context, b *batch, n Names) error {
	var flags, switches, samples []string
	for _, name := range n.Flags {
		if _, ok := b.flags[name]; !ok && !slices.Contains(flags, name) {
			s.logMissing(ctx, s.cfg.LogMissingFlags, "flag", name)
			flags = append(flags, name)
		}
	}
	for _, name := range n.Switches {
		if _, ok := b.switches[name]; !ok && !slices.Contains(switches, name) {
			s.logMissing(ctx, s.cfg.LogMissingSwitches, "switch", name)
			switches = append(switches, name)
		}
	}
	for _, name := range n.Samples {
		if _, ok := b.samples[name]; !ok && !slices.Contains(samples, name) {
			s.logMissing(ctx, s.cfg.LogMissingSamples, "sample", name)
			samples = append(samples, name)
		}
	}
	now := s.timeArg(s.now())
	if s.cfg.CreateMissingFlags && len(flags) > 0 {
		if _, err := s.exec(ctx, s.pool(), "batch_create_flags", s.listArg(flags, false), s.cfg.FlagDefault, now); err != nil {
			return opError("creating missing", "flag", flags[0], err)
		}
	}
	if s.cfg.CreateMissingSwitches && len(switches) > 0 {
		if _, err := s.exec(ctx, s.pool(), "batch_create_switches", s.listArg(switches, false), s.cfg.SwitchDefault, now); err != nil {
			return opError("creating missing", "switch", switches[0], err)
		}
	}
	if s.cfg.CreateMissingSamples && len(samples) > 0 {
		percent := 0.0
		if s.cfg.SampleDefault {
			percent = 100
		}
		if _, err := s.exec(ctx, s.pool(), "batch_create_samples", s.listArg(samples, false), percent, now); err != nil {
			return opError("creating missing", "sample", samples[0], err)
		}
	}
	return nil
}

// listArg encodes a list of names for a batch statement: a text[] literal
// on PostgreSQL, a JSON array on SQLite. With onlyNames, values that break
// the name rule are left out (a request's group names); every value that
// is not valid UTF-8 or holds a NUL is, since no stored name can hold one.
func (s *Store) listArg(values []string, onlyNames bool) string {
	if s.q.Dialect != "postgres" {
		return jsonStringArray(values, onlyNames)
	}
	return pgTextArray(values, onlyNames)
}

// pgTextArray returns values as a PostgreSQL text[] literal: {"a","b\"c"}.
func pgTextArray(values []string, onlyNames bool) string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for _, v := range values {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 || onlyNames && nameProblem(v) != "" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteByte('"')
		for i := 0; i < len(v); i++ {
			if v[i] == '"' || v[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// listing is every flag, switch and sample with its state for the request
// in ctx, for the status view and wafflejs.
type listing struct {
	flags, switches, samples statusMap
}

// statusEntry is one object's state in a listing.
type statusEntry struct {
	name     string
	active   bool
	modified time.Time
}

// list reads every flag, switch and sample in one statement (or from the
// snapshot, when it serves) and evaluates them for the request in ctx:
// flags with their cookies, samples drawn with the rule of
// [Store.SampleIsActive]. Rows whose names break the name rule (written by
// another tool into a shared database) are left out.
func (s *Store) list(ctx context.Context) (*listing, error) {
	if d := s.snapshotData(); d != nil {
		return s.listSnapshot(ctx, d)
	}
	b, err := s.fetchAll(ctx, userFrom(ctx))
	if err != nil {
		return nil, err
	}
	l := &listing{flags: b.order[kindFlag], switches: b.order[kindSwitch], samples: b.order[kindSample]}
	for i := range l.flags {
		e := &l.flags[i]
		if e.active, err = s.batchFlag(ctx, b, e.name); err != nil {
			return nil, err
		}
	}
	for i := range l.samples {
		e := &l.samples[i]
		e.active = b.sampleAnswer(s, e.name)
	}
	return l, nil
}

// flagFromMemory answers FlagIsActive from the snapshot, or from the
// request's batch; ok is false when neither holds the flag.
func (s *Store) flagFromMemory(ctx context.Context, name string) (d FlagDetail, ok bool, err error) {
	if snap := s.snapshotData(); snap != nil {
		if on, ok, err := s.snapshotFlag(ctx, snap, name, nil); ok {
			d, err = flagResult(on, err)
			return d, true, err
		}
	}
	b, err := s.requestBatch(ctx, kindFlag, name)
	if err != nil {
		return FlagDetail{Reason: ReasonError}, true, err
	}
	if b == nil {
		return FlagDetail{}, false, nil
	}
	d, err = flagResult(s.batchFlag(ctx, b, name))
	return d, true, err
}

// flagResult is a FlagIsActive answer as evalFlag returns it.
func flagResult(on bool, err error) (FlagDetail, error) {
	if err != nil {
		return FlagDetail{Reason: ReasonError}, err
	}
	return FlagDetail{Active: on}, nil
}
