package waffle

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SnapshotStats describes a Store's in-process snapshot ([Store.StartSnapshot]).
type SnapshotStats struct {
	Running bool          // StartSnapshot's context is live
	Serving bool          // reads are answered from the snapshot now
	Flags   int           // flags held
	Bytes   int64         // an estimate of the memory held
	Age     time.Duration // since the snapshot was last known to be current
	Reloads int64         // loads since StartSnapshot
	// MaxBytes is Config.SnapshotMaxBytes.
	MaxBytes int64
	// UsersInDatabase counts the flags whose users stay in the database:
	// SnapshotMaxUsers or more, or left out to keep Bytes within MaxBytes.
	UsersInDatabase int
	// OverLimit: the definitions alone exceed MaxBytes, so the snapshot
	// serves nothing (Bytes is what they need) and reads go to the
	// database.
	OverLimit bool
}

// ErrSnapshotRunning is returned by a second [Store.StartSnapshot].
var ErrSnapshotRunning = errors.New("waffle: the snapshot is already running")

// snapshotState is a Store's snapshot, shared by its WithTx copies (which
// never read from it).
type snapshotState struct {
	running  atomic.Bool
	data     atomic.Pointer[snapData]
	verified atomic.Int64 // unix ns when data was last known current; 0: stale
	// fresh is verified within Config.SnapshotMaxAge, kept by markCurrent
	// and a timer, so that a read costs no clock reading.
	fresh   atomic.Bool
	maxAge  time.Duration
	timer   *time.Timer // guarded by timerMu
	reloads atomic.Int64
	// listenerPID is the PostgreSQL backend of the listener's connection.
	listenerPID atomic.Uint32
	mu          sync.Mutex // one load at a time
	timerMu     sync.Mutex
}

// snapData is one load of the definitions. It is never changed once
// published.
type snapData struct {
	flags      map[string]*snapFlag
	switches   map[string]bool
	samples    map[string]float64
	strings    map[string]sql.NullString
	syncArg    string // the flags' synced groups, a list argument
	largeArg   string // the flags whose users stay in the database
	needsUsers bool   // some flag has users, groups or a synced group
	// order lists the flags, switches and samples whose names follow the
	// name rule, by kind and name (byte order), with modified: the status
	// view and wafflejs.
	order [3][]statusEntry
	bytes int64
	inDB  int  // flags whose users stay in the database
	over  bool // over Config.SnapshotMaxBytes even so: serve nothing
}

// snapFlag is one flag in a snapshot.
type snapFlag struct {
	row       flagRow // member is false
	id        int64
	users     map[string]struct{} // nil when large
	userBytes int64               // users' share of snapData.bytes
	large     bool
	groups    map[string]int64 // attached groups, by name
	syncGroup int64            // 0: none
}

// StartSnapshot loads every definition (flags with their users and groups,
// switches, samples, string flags) into memory and serves reads outside
// [Store.WithTx] from it until ctx ends. It returns once the first load is
// done (or failed); a goroutine then keeps the snapshot current:
// PostgreSQL's LISTEN on a connection of its own (the schema's triggers
// NOTIFY every change, whoever makes it), SQLite's PRAGMA data_version and
// change counter polled every Config.SnapshotPollInterval. When the
// snapshot cannot be known current for Config.SnapshotMaxAge (the listener
// lost, the database unreachable), reads go to the database until it is
// again. A flag listing Config.SnapshotMaxUsers users or more keeps them
// in the database, as group members always do: an identified user's
// memberships cost one statement per request (per call without
// [Store.Middleware]). Config.SnapshotMaxBytes bounds the memory: over it
// the longest user lists stay in the database too, and when the
// definitions alone exceed it the snapshot serves nothing (reads go to
// the database; [Store.SnapshotStats] reports OverLimit).
// docs/performance.md has the details; in Django mode a fingerprint of
// Django's tables is polled instead (docs/django.md).
func (s *Store) StartSnapshot(ctx context.Context) error {
	if !s.snap.running.CompareAndSwap(false, true) {
		return ErrSnapshotRunning
	}
	s.snap.maxAge = s.cfg.SnapshotMaxAge
	w, err := s.snapshotWatcher(ctx) // Django mode's: snapshot_django.go
	if err == nil {
		err = s.reloadSnapshot(ctx)
	}
	if err != nil {
		if w != nil {
			w.close()
		}
		s.snap.running.Store(false)
		return err
	}
	go func() {
		defer s.stopSnapshot()
		w.run(ctx)
	}()
	return nil
}

func (s *Store) stopSnapshot() {
	s.snap.markStale()
	s.snap.timerMu.Lock()
	if s.snap.timer != nil {
		s.snap.timer.Stop()
		s.snap.timer = nil
	}
	s.snap.timerMu.Unlock()
	s.snap.data.Store(nil)
	s.snap.running.Store(false)
}

// markCurrent records that the snapshot was current at t: reads may use it
// until t + Config.SnapshotMaxAge, unless marked current again.
func (st *snapshotState) markCurrent(t time.Time) {
	st.verified.Store(t.UnixNano())
	st.fresh.Store(true)
	st.timerMu.Lock()
	defer st.timerMu.Unlock()
	if st.timer == nil {
		st.timer = time.AfterFunc(st.maxAge, st.expire)
	} else {
		st.timer.Reset(st.maxAge)
	}
}

// markStale sends reads to the database until the next markCurrent.
func (st *snapshotState) markStale() {
	st.fresh.Store(false)
	st.verified.Store(0)
}

// expire is the timer's: past Config.SnapshotMaxAge without markCurrent,
// reads go to the database.
func (st *snapshotState) expire() {
	v := st.verified.Load()
	age := time.Duration(time.Now().UnixNano() - v)
	if v == 0 || age >= st.maxAge {
		st.fresh.Store(false)
		return
	}
	st.timerMu.Lock()
	defer st.timerMu.Unlock()
	if st.timer != nil {
		st.timer.Reset(st.maxAge - age)
	}
}

// SnapshotStats reports the snapshot's state.
func (s *Store) SnapshotStats() SnapshotStats {
	st := SnapshotStats{Running: s.snap.running.Load(), Reloads: s.snap.reloads.Load()}
	st.MaxBytes = s.cfg.SnapshotMaxBytes
	if d := s.snap.data.Load(); d != nil {
		st.Flags, st.Bytes, st.UsersInDatabase, st.OverLimit = len(d.flags), d.bytes, d.inDB, d.over
	}
	if v := s.snap.verified.Load(); v != 0 {
		st.Age = s.cfg.Now().Sub(time.Unix(0, v))
	}
	st.Serving = s.snapshotData() != nil
	return st
}

// snapshotData returns the snapshot when reads may use it: running,
// current within Config.SnapshotMaxAge, and the Store not in the
// application's transaction.
func (s *Store) snapshotData() *snapData {
	if s.snap == nil || !s.snap.fresh.Load() || s.inAppTx() {
		return nil
	}
	if d := s.snap.data.Load(); d != nil && !d.over {
		return d
	}
	return nil
}

// reloadSnapshot loads every definition in one read transaction and
// publishes it, current as of the load's start.
func (s *Store) reloadSnapshot(ctx context.Context) error {
	s.snap.mu.Lock()
	defer s.snap.mu.Unlock()
	start := time.Now()
	db, ok := s.pool().(*sql.DB)
	if !ok {
		return errors.New("waffle: StartSnapshot: the Store is bound to a transaction")
	}
	var opts *sql.TxOptions
	if s.q.Dialect == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return opError("loading", "snapshot", "", err)
	}
	defer func() { _ = tx.Rollback() }()
	d, err := s.loadSnapshot(ctx, tx)
	if err != nil {
		return opError("loading", "snapshot", "", err)
	}
	if d.over {
		s.cfg.Logger.WarnContext(ctx, "waffle: the snapshot exceeds Config.SnapshotMaxBytes; reads go to the database",
			"bytes", d.bytes, "max_bytes", s.cfg.SnapshotMaxBytes, "flags", len(d.flags))
	}
	s.snap.data.Store(d)
	s.snap.markCurrent(start)
	s.snap.reloads.Add(1)
	return nil
}

func (s *Store) loadSnapshot(ctx context.Context, tx *sql.Tx) (*snapData, error) {
	d := &snapData{flags: map[string]*snapFlag{}, switches: map[string]bool{}, samples: map[string]float64{},
		strings: map[string]sql.NullString{}}
	byID := map[int64]*snapFlag{}
	var small, large, syncs []string
	err := s.eachRow(ctx, tx, "snapshot_flags", func(rows *sql.Rows) error {
		f := &snapFlag{}
		var name string
		var users int
		var syncGroup sql.NullInt64
		var modified time.Time
		r := &f.row
		if err := rows.Scan(&f.id, &name, &r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff, &r.authenticated,
			&r.languages, &r.rollout, &r.ramp, &users, &syncGroup, &modified); err != nil {
			return err
		}
		d.listed(kindFlag, name, false, modified)
		f.syncGroup = syncGroup.Int64
		id := strconv.FormatInt(f.id, 10)
		switch {
		case users >= s.cfg.SnapshotMaxUsers:
			f.large = true
			large = append(large, id)
		case users > 0:
			f.users = map[string]struct{}{}
			small = append(small, id)
		}
		if f.syncGroup != 0 {
			syncs = append(syncs, strconv.FormatInt(f.syncGroup, 10))
		}
		d.flags[name] = f
		byID[f.id] = f
		d.bytes += int64(len(name)) + int64(len(r.languages)) + int64(len(r.ramp.String)) + 160
		return nil
	}, s.cfg.SnapshotMaxUsers)
	if err != nil {
		return nil, err
	}
	if len(small) > 0 {
		err = s.eachRow(ctx, tx, "snapshot_flag_users", func(rows *sql.Rows) error {
			var id int64
			var user string
			if err := rows.Scan(&id, &user); err != nil {
				return err
			}
			if f := byID[id]; f != nil && f.users != nil {
				f.users[user] = struct{}{}
				f.userBytes += int64(len(user)) + 32
				d.bytes += int64(len(user)) + 32
			}
			return nil
		}, s.idList(small))
		if err != nil {
			return nil, err
		}
	}
	if err := s.loadFlagGroups(ctx, tx, d, byID); err != nil {
		return nil, err
	}
	if err := s.loadValues(ctx, tx, d); err != nil {
		return nil, err
	}
	for _, l := range d.order {
		slices.SortFunc(l, func(a, b statusEntry) int { return strings.Compare(a.name, b.name) })
	}
	large = s.boundSnapshot(d, large)
	d.syncArg, d.largeArg = s.idList(syncs), s.idList(large)
	return d, nil
}

// boundSnapshot keeps d within Config.SnapshotMaxBytes: the longest user
// lists go back to the database (added to large, the flags whose users
// stay there) until the rest fits; when the definitions alone do not fit,
// d is marked over and serves nothing.
func (s *Store) boundSnapshot(d *snapData, large []string) []string {
	if d.bytes > s.cfg.SnapshotMaxBytes {
		var listed []*snapFlag
		for _, f := range d.flags {
			if f.users != nil {
				listed = append(listed, f)
			}
		}
		slices.SortFunc(listed, func(a, b *snapFlag) int { return cmp.Compare(b.userBytes, a.userBytes) })
		for _, f := range listed {
			if d.bytes <= s.cfg.SnapshotMaxBytes {
				break
			}
			f.users, f.large = nil, true
			d.bytes -= f.userBytes
			large = append(large, strconv.FormatInt(f.id, 10))
		}
		d.over = d.bytes > s.cfg.SnapshotMaxBytes
	}
	for _, f := range d.flags {
		if f.large {
			d.inDB++
		}
	}
	return large
}

// listed adds an object to d's listing, unless its name breaks the name
// rule (written by another tool: the library cannot evaluate it).
func (d *snapData) listed(kind int, name string, active bool, modified time.Time) {
	if nameProblem(name) == "" {
		d.order[kind] = append(d.order[kind], statusEntry{name: name, active: active, modified: modified})
		d.bytes += 48
	}
}

// listSnapshot is list on the snapshot d: the same entries, in the same
// order, evaluated as Store.FlagIsActive and Store.SampleIsActive do from
// it (an identified user's memberships: one statement at most).
func (s *Store) listSnapshot(ctx context.Context, d *snapData) (*listing, error) {
	l := &listing{flags: slices.Clone(d.order[kindFlag]), switches: slices.Clone(d.order[kindSwitch]),
		samples: slices.Clone(d.order[kindSample])}
	var mc *memberships
	for i := range l.flags {
		e := &l.flags[i]
		on, _, err := s.snapshotFlag(ctx, d, e.name, &mc)
		if err != nil {
			return nil, err
		}
		e.active = on
	}
	for i := range l.samples {
		e := &l.samples[i]
		e.active = s.sampleDraw(d.samples[e.name])
	}
	return l, nil
}

// loadFlagGroups loads the flags' groups into d's flags (byID).
func (s *Store) loadFlagGroups(ctx context.Context, tx *sql.Tx, d *snapData, byID map[int64]*snapFlag) error {
	err := s.eachRow(ctx, tx, "snapshot_flag_groups", func(rows *sql.Rows) error {
		var id, group int64
		var name string
		if err := rows.Scan(&id, &group, &name); err != nil {
			return err
		}
		if f := byID[id]; f != nil {
			if f.groups == nil {
				f.groups = map[string]int64{}
			}
			f.groups[name] = group
			d.bytes += int64(len(name)) + 40
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range d.flags {
		if f.users != nil || f.large || f.groups != nil || f.syncGroup != 0 {
			d.needsUsers = true
		}
	}
	return nil
}

// loadValues loads the switches, samples and string flags into d.
func (s *Store) loadValues(ctx context.Context, tx *sql.Tx, d *snapData) error {
	err := s.eachRow(ctx, tx, "snapshot_switches", func(rows *sql.Rows) error {
		var name string
		var active bool
		var modified time.Time
		if err := rows.Scan(&name, &active, &modified); err != nil {
			return err
		}
		d.switches[name] = active
		d.listed(kindSwitch, name, active, modified)
		d.bytes += int64(len(name)) + 40
		return nil
	})
	if err != nil {
		return err
	}
	err = s.eachRow(ctx, tx, "snapshot_samples", func(rows *sql.Rows) error {
		var name string
		var percent float64
		var modified time.Time
		if err := rows.Scan(&name, &percent, &modified); err != nil {
			return err
		}
		d.samples[name] = percent
		d.listed(kindSample, name, false, modified)
		d.bytes += int64(len(name)) + 40
		return nil
	})
	if err != nil {
		return err
	}
	err = s.eachRow(ctx, tx, "snapshot_strings", func(rows *sql.Rows) error {
		var name string
		var value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return err
		}
		d.strings[name] = value
		d.bytes += int64(len(name)) + int64(len(value.String)) + 56
		return nil
	})
	if err != nil {
		return err
	}
	return nil
}

// eachRow runs the statement called name on tx and calls fn for each row.
func (s *Store) eachRow(ctx context.Context, tx *sql.Tx, name string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, s.q.SQL(name), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// idList encodes decimal IDs as a list argument: a bigint[] literal on
// PostgreSQL, a JSON array on SQLite.
func (s *Store) idList(ids []string) string {
	if s.q.Dialect == "postgres" {
		return "{" + strings.Join(ids, ",") + "}"
	}
	return "[" + strings.Join(ids, ",") + "]"
}

// memberships is what the snapshot does not hold for one user: the groups
// the user is in, and the large flags that list the user.
type memberships struct {
	userID string
	groups map[int64]struct{}
	flags  map[int64]struct{}
}

// snapshotFlag evaluates a flag from the snapshot d; ok is false when the
// flag is not in it (missing: the caller's usual path handles it).
func (s *Store) snapshotFlag(ctx context.Context, d *snapData, name string, mc **memberships) (on, ok bool, err error) {
	f := d.flags[name]
	if f == nil {
		return false, false, nil
	}
	u := userFrom(ctx)
	r := f.row
	if u != nil {
		if r.member, err = s.snapshotMember(ctx, d, f, u, mc); err != nil {
			return false, true, err
		}
	}
	if err := r.applyRamp(s.cfg.Now); err != nil {
		return false, true, opError("evaluating", "flag", name, err)
	}
	on, _ = s.decide(ctx, name, &r, u)
	return on, true, nil
}

// snapshotMember is flag_eval's member test on the snapshot: listed, one of
// the request's group names listed, then the stored memberships (one
// statement per request, only when the flag has lists to test).
func (s *Store) snapshotMember(ctx context.Context, d *snapData, f *snapFlag, u *User, mc **memberships) (bool, error) {
	if f.users == nil && !f.large && f.groups == nil && f.syncGroup == 0 {
		return false, nil
	}
	for _, g := range u.Groups {
		if _, ok := f.groups[g]; ok {
			return true, nil
		}
	}
	if !storableUserID(u.ID) {
		return false, nil
	}
	if _, ok := f.users[u.ID]; ok {
		return true, nil
	}
	if !f.large && f.groups == nil && f.syncGroup == 0 {
		return false, nil
	}
	m, err := s.userMemberships(ctx, d, u.ID, mc)
	if err != nil {
		return false, err
	}
	if _, ok := m.flags[f.id]; ok {
		return true, nil
	}
	if f.syncGroup != 0 {
		if _, ok := m.groups[f.syncGroup]; ok {
			return true, nil
		}
	}
	for _, id := range f.groups {
		if _, ok := m.groups[id]; ok {
			return true, nil
		}
	}
	return false, nil
}

// userMemberships reads the user's memberships once per request (kept in
// the request state), or once per call without the middleware; mc, when
// not nil, keeps them for the caller too (one Evaluate: one statement).
func (s *Store) userMemberships(ctx context.Context, d *snapData, userID string, mc **memberships) (*memberships, error) {
	if mc != nil && *mc != nil && (*mc).userID == userID {
		return *mc, nil
	}
	st := requestStateFrom(ctx)
	if st != nil {
		st.mu.Lock()
		m := st.members
		st.mu.Unlock()
		if m != nil && m.userID == userID {
			return m, nil
		}
	}
	m := &memberships{userID: userID, groups: map[int64]struct{}{}, flags: map[int64]struct{}{}}
	rows, err := s.batchQuery(ctx, "snapshot_memberships", userID, d.syncArg, d.largeArg)
	if err != nil {
		return nil, opError("reading", "memberships", "", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			return nil, opError("reading", "memberships", "", err)
		}
		if kind == 0 {
			m.groups[id] = struct{}{}
		} else {
			m.flags[id] = struct{}{}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, opError("reading", "memberships", "", err)
	}
	if st != nil {
		st.mu.Lock()
		st.members = m
		st.mu.Unlock()
	}
	if mc != nil {
		*mc = m
	}
	return m, nil
}
