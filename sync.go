package waffle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gowaffle/waffle/internal/dbtx"
)

// SyncResult is what [Store.SyncMembership] did.
type SyncResult struct {
	// At is the configured clock's now when the sync began. Each flag's
	// windows are judged at the clock's now once that flag's lock is held
	// (At or later), so that syncs queueing for one flag apply in time order
	// and a late one never puts back a member an earlier one removed.
	At time.Time
	// Flags has one entry per flag, in the order they were synced: the order
	// given, or by name when none were named.
	Flags []FlagSync
}

// FlagSync is the sync of one flag's group.
type FlagSync struct {
	// Flag is the flag's name.
	Flag string
	// Active is the number of distinct users with an active window, which
	// after the sync is the number of members of the flag's group. A user
	// with several active windows counts once.
	Active int
	// Added and Removed are the members the sync added to and removed from
	// the group. A second sync with nothing changed reports 0 and 0, and
	// writes nothing.
	Added, Removed int
	// Full reports that the sync compared all of the flag's windows with all
	// of its group's members: at its first sync, and when its windows or
	// its group's members were written since its last sync. Otherwise it
	// looked only at the windows that started or ended since the last sync,
	// so that its cost follows the change, not the number of windows.
	Full bool
	// Err is why this flag's sync failed, or nil. A failed flag's group is
	// exactly as it was before the sync, and its counts are zero.
	Err error
}

// Totals returns the sums of Active, Added and Removed over the flags that
// synced.
func (r SyncResult) Totals() (active, added, removed int) {
	for _, f := range r.Flags {
		active += f.Active
		added += f.Added
		removed += f.Removed
	}
	return active, added, removed
}

// Err returns the errors of the flags that failed, joined with errors.Join,
// or nil when every flag synced.
func (r SyncResult) Err() error {
	var errs []error
	for _, f := range r.Flags {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errors.Join(errs...)
}

// SyncMembership makes each named flag's group ([SyncGroupName]) hold
// exactly the users who have a window active at the configured clock's now,
// and attaches the group to the flag. With no names it syncs every flag that
// has windows or has its group attached, so the group of a flag whose windows
// were all deleted is emptied too. Members added to the group by other means
// are removed: the group belongs to the sync.
//
// Each flag is synced in a transaction of its own (under [Store.WithTx], a
// savepoint of the caller's) that writes only what changed, so a user who
// stays is never missing from the group. Concurrent syncs, from any number of
// replicas, are safe. A flag's failure is reported in its [FlagSync] and does
// not stop the others; the returned error is [SyncResult.Err]. When ctx ends,
// the flags not synced yet fail with its error. How a sync works and what it
// costs: docs/windows.md.
func (s *Store) SyncMembership(ctx context.Context, flags ...string) (SyncResult, error) {
	if s.cfg.Django != nil {
		return s.djangoSync(ctx, flags)
	}
	res := SyncResult{At: s.now()}
	if len(flags) == 0 {
		all, err := s.syncFlagNames(ctx)
		if err != nil {
			return res, err
		}
		flags = all
	}
	// One connection for every flag, its statements prepared once (on
	// SQLite; see syncConn). Without it (ctx ended, the pool is closed)
	// each flag takes its own and reports what went wrong. A connection
	// discarded after a failed rollback is replaced for the next flag.
	var conn *dbtx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	seen := make(map[string]bool, len(flags))
	for _, name := range flags {
		if seen[name] {
			continue
		}
		seen[name] = true
		if conn != nil && conn.Discarded() {
			_ = conn.Close()
			conn = nil
		}
		if conn == nil {
			conn = s.syncConn(ctx)
		}
		fs := FlagSync{Flag: name}
		if err := ctx.Err(); err != nil {
			fs.Err = opError("syncing", "flag", name, err)
		} else {
			fs.Err = s.syncFlag(ctx, conn, name, &fs)
		}
		if fs.Err != nil {
			fs.Active, fs.Added, fs.Removed = 0, 0, 0
		}
		res.Flags = append(res.Flags, fs)
	}
	return res, res.Err()
}

// syncFlagNames lists the flags a sync of every flag covers.
func (s *Store) syncFlagNames(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, s.writePool(), "sync_flags")
	if err != nil {
		return nil, opError("listing", "flags to sync", "", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, opError("listing", "flags to sync", "", err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, opError("listing", "flags to sync", "", err)
	}
	return names, nil
}

// syncFlag syncs one flag's group in one transaction and fills fs's counts.
func (s *Store) syncFlag(ctx context.Context, c *dbtx.Conn, name string, fs *FlagSync) error {
	if err := ValidateName("flag", name); err != nil {
		return err
	}
	err := s.syncTx(ctx, c, func(ex execer) error {
		groupID, flagID, last, err := s.syncBegin(ctx, ex, name)
		if err != nil {
			return err
		}
		at := s.now() // after the locks: see SyncResult.At
		var r FlagSync
		if last.clean && last.groupID == groupID && !last.hand {
			r, err = s.syncCrossed(ctx, ex, groupID, flagID, at, last)
		} else {
			r, err = s.syncFull(ctx, ex, groupID, flagID, at, last)
		}
		if err != nil {
			return err
		}
		fs.Active, fs.Added, fs.Removed, fs.Full = r.Active, r.Added, r.Removed, r.Full
		if r.Added > 0 || r.Removed > 0 {
			if err := s.writeEntry(ctx, ex, entry{action: actionSync, kind: "flag", name: name,
				after: map[string]any{"active": r.Active, "added": r.Added, "removed": r.Removed}}); err != nil {
				return fmt.Errorf("writing the audit entry: %w", err)
			}
		}
		// A sync cancelled while it ran commits nothing, even when the
		// driver finished its statements regardless.
		return ctx.Err()
	})
	return syncError(ctx, name, err)
}

// syncLast is what a flag's last sync left in waffle_flag_sync.
type syncLast struct {
	clean    bool  // nothing written to the windows or the group since
	groupID  int64 // the group it filled
	at       time.Time
	members  int
	newGroup bool // the flag's group was created by this sync: it is empty
	hand     bool // SQLite: the group has members written by hand, in the other table (sync_hand_move)
}

// syncFull makes group groupID hold the users with a window of flag flagID
// active at at, comparing all of the flag's windows with all of its members
// (none in a group just created), and saves the state.
func (s *Store) syncFull(ctx context.Context, ex execer, groupID, flagID int64, at time.Time, last syncLast) (FlagSync, error) {
	r := FlagSync{Full: true}
	var err error
	if last.hand {
		// On SQLite, members written by hand are in another table than the
		// sync's: they join the sync's, to be compared with the windows.
		for _, stmt := range []string{"sync_hand_move", "sync_hand_clear"} {
			if _, err := s.exec(ctx, ex, stmt, groupID); err != nil {
				return r, fmt.Errorf("moving members written by hand: %w", err)
			}
		}
	}
	if !last.newGroup {
		if r.Removed, err = s.execCount(ctx, ex, "sync_remove", groupID, flagID, at); err != nil {
			return r, fmt.Errorf("removing members: %w", err)
		}
	}
	add := "sync_add"
	if last.newGroup {
		add = "sync_add_new"
	}
	if r.Added, err = s.execCount(ctx, ex, add, groupID, flagID, at); err != nil {
		return r, fmt.Errorf("adding members: %w", err)
	}
	if last.newGroup { // its members are those just added: nothing to count
		r.Active = r.Added
		_, err = s.exec(ctx, ex, "sync_state_save", flagID, groupID, at, r.Active)
	} else {
		err = ex.QueryRowContext(ctx, s.q.SQL("sync_state_save_count"), flagID, groupID, at).Scan(&r.Active)
	}
	if err != nil {
		return r, fmt.Errorf("saving the sync's state: %w", err)
	}
	return r, nil
}

// syncCrossed does what syncFull does for a flag whose group held exactly
// the users active at last.at, with nothing written since: only the users
// with a window that started or ended between last.at and at (in either
// order, should the clock have gone back) can have changed, and only they
// are looked at. A window with neither bound in that interval is active at
// at exactly when it was at last.at.
func (s *Store) syncCrossed(ctx context.Context, ex execer, groupID, flagID int64, at time.Time, last syncLast) (FlagSync, error) {
	var r FlagSync
	lo, hi := last.at, at
	if hi.Before(lo) {
		lo, hi = hi, lo
	}
	var err error
	if r.Removed, err = s.execCount(ctx, ex, "sync_remove_crossed", groupID, flagID, at, lo, hi); err != nil {
		return r, fmt.Errorf("removing members: %w", err)
	}
	if r.Added, err = s.execCount(ctx, ex, "sync_add_crossed", groupID, flagID, at, lo, hi); err != nil {
		return r, fmt.Errorf("adding members: %w", err)
	}
	r.Active = last.members + r.Added - r.Removed
	// A sync that changed nothing leaves the state as it is: the next one
	// looks at the windows that crossed since the last write, a few more.
	if r.Added > 0 || r.Removed > 0 {
		if _, err := s.exec(ctx, ex, "sync_state_save", flagID, groupID, at, r.Active); err != nil {
			return r, fmt.Errorf("saving the sync's state: %w", err)
		}
	}
	return r, nil
}

// SyncUserMembership brings one user's membership of flag's group up to date: the
// user is a member exactly when any of their windows for the flag is active
// at the configured clock's now (waffle-window's FlagMember.sync looked at
// one window only, and could remove a user whose other window was still
// active). Like [Store.SyncMembership] it creates the group and attaches it
// to the flag, in one transaction that queues with the flag's other syncs.
// It reports whether the user is now a member.
func (s *Store) SyncUserMembership(ctx context.Context, flag, user string) (bool, error) {
	if err := ValidateName("flag", flag); err != nil {
		return false, err
	}
	if err := checkUserID(flag, user); err != nil {
		return false, err
	}
	if s.cfg.Django != nil {
		return s.djangoSyncUser(ctx, flag, user)
	}
	var active bool
	err := s.syncTx(ctx, nil, func(ex execer) error {
		groupID, flagID, _, err := s.syncBegin(ctx, ex, flag)
		if err != nil {
			return err
		}
		at := s.now() // after the lock: see SyncResult.At
		if err := ex.QueryRowContext(ctx, s.q.SQL("sync_user_active"), flagID, user, at).Scan(&active); err != nil {
			return fmt.Errorf("reading the windows of user %s: %w", quoteTrunc(user), err)
		}
		var member bool // for the audit entry: whether the user was a member
		if s.auditing() {
			if err := ex.QueryRowContext(ctx, s.q.SQL("audit_sync_user_member"), groupID, user).Scan(&member); err != nil {
				return fmt.Errorf("reading the membership of user %s: %w", quoteTrunc(user), err)
			}
		}
		stmt := "sync_user_remove"
		if active {
			stmt = "sync_user_add"
		}
		if _, err := s.exec(ctx, ex, stmt, groupID, user); err != nil {
			return fmt.Errorf("updating user %s: %w", quoteTrunc(user), err)
		}
		if s.auditing() && member != active {
			counts := map[string]any{"user": user, "added": 0, "removed": 1}
			if active {
				counts["added"], counts["removed"] = 1, 0
			}
			if err := s.writeEntry(ctx, ex, entry{action: actionSync, kind: "flag", name: flag, after: counts}); err != nil {
				return fmt.Errorf("writing the audit entry: %w", err)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return false, syncError(ctx, flag, err)
	}
	return active, nil
}

// syncTx runs one flag's sync in a write transaction of its own or, when
// the Store is bound to the application's transaction, under a savepoint in
// it: a failure then undoes this flag's statements only, and the
// transaction stays usable (PostgreSQL refuses every statement of a
// transaction after an error, until a rollback to a savepoint).
func (s *Store) syncTx(ctx context.Context, c *dbtx.Conn, fn func(ex execer) error) error {
	if c != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return dbtx.Run(ctx, c, s.q, fn)
	}
	return s.writeTx(ctx, func(ex execer) error {
		if !s.inAppTx() {
			return fn(ex)
		}
		if _, err := s.exec(ctx, ex, "sync_savepoint"); err != nil {
			return err
		}
		if err := fn(ex); err != nil {
			// Roll back even when ctx was cancelled.
			if _, rerr := s.exec(context.WithoutCancel(ctx), ex, "sync_savepoint_rollback"); rerr != nil {
				return errors.Join(err, rerr)
			}
			_, _ = s.exec(context.WithoutCancel(ctx), ex, "sync_savepoint_release")
			return err
		}
		_, err := s.exec(ctx, ex, "sync_savepoint_release")
		return err
	})
}

// syncBegin runs the first statements of a flag's sync transaction: the
// lock and the flag's ID, then its group and the state of its last sync,
// locked (see SyncMembership for why). For a flag synced before, that is two
// statements; otherwise it creates the group (and clears it, on SQLite: see
// sync_group_create), creates the state and attaches the group to the flag
// (on PostgreSQL in the state's statement).
func (s *Store) syncBegin(ctx context.Context, ex execer, flag string) (groupID, flagID int64, last syncLast, err error) {
	group := SyncGroupName(flag)
	var (
		id    sql.NullInt64
		known bool // the group and the state exist (a hint: see sync_lock)
	)
	if err := ex.QueryRowContext(ctx, s.q.SQL("sync_lock"), flag, group).Scan(&id, &known); err != nil {
		return 0, 0, last, fmt.Errorf("taking the sync lock: %w", err)
	}
	if !id.Valid {
		return 0, 0, last, &NotFoundError{Kind: "flag", Name: flag}
	}
	flagID = id.Int64
	var (
		lastGroup sql.NullInt64
		at        sql.NullTime
		dirty     bool
		attached  bool
	)
	err = sql.ErrNoRows
	if known {
		err = ex.QueryRowContext(ctx, s.q.SQL("sync_state"), flagID, group).
			Scan(&groupID, &lastGroup, &at, &last.members, &dirty, &attached, &last.hand)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// The group or the state is missing: a first sync, or the group was
		// deleted since. The sync compares in full.
		if groupID, last.newGroup, err = s.ensureGroup(ctx, ex, group); err != nil {
			return 0, 0, last, fmt.Errorf("creating group %s: %w", quoteTrunc(group), err)
		}
		if err := ex.QueryRowContext(ctx, s.q.SQL("sync_state_reset"), flagID, groupID).Scan(&attached, &last.hand); err != nil {
			return 0, 0, last, fmt.Errorf("saving the sync's state: %w", err)
		}
		dirty = true
	case err != nil:
		return 0, 0, last, fmt.Errorf("reading the sync's state: %w", err)
	}
	if !attached {
		if _, err := s.exec(ctx, ex, "sync_attach", flagID, groupID); err != nil {
			return 0, 0, last, fmt.Errorf("attaching group %s: %w", quoteTrunc(group), err)
		}
	}
	last.clean = !dirty && lastGroup.Valid && at.Valid
	last.groupID, last.at = lastGroup.Int64, dbTime(at.Time)
	return groupID, flagID, last, nil
}

// ensureGroup returns the ID of the group called name, creating it when it
// does not exist (and then reports created): created first, since a sync
// comes here when the group is missing (a group that exists is then read,
// locked).
func (s *Store) ensureGroup(ctx context.Context, ex execer, name string) (id int64, created bool, err error) {
	var strays bool // rows of the new group's ID may remain (see sync_group_create)
	err = ex.QueryRowContext(ctx, s.q.SQL("sync_group_create"), name, s.now()).Scan(&id, &strays)
	if errors.Is(err, sql.ErrNoRows) { // it exists
		err = ex.QueryRowContext(ctx, s.q.SQL("sync_group_get"), name).Scan(&id)
		return id, false, err
	}
	if err != nil {
		return 0, false, err
	}
	if strays {
		if _, err := s.exec(ctx, ex, "sync_group_clear", id); err != nil {
			return 0, false, err
		}
	}
	return id, true, nil
}

// execCount runs a statement and returns the rows it changed.
func (s *Store) execCount(ctx context.Context, ex execer, name string, args ...any) (int, error) {
	res, err := s.exec(ctx, ex, name, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// syncError wraps the error of a flag's sync: typed errors (a missing flag)
// as they are, others with the flag's name, and with ctx's error when ctx
// ended, whatever the driver made of it.
func syncError(ctx context.Context, flag string, err error) error {
	if err == nil {
		return nil
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = errors.Join(cerr, err)
	}
	return opError("syncing", "flag", flag, err)
}

// SyncLoop runs [Store.SyncMembership] (ctx, flags...) at once and then every
// interval (counted from the end of a run) until ctx ends, and returns nil
// then. It is for applications without a scheduler: start it in every
// replica if you like (`go store.SyncLoop(ctx, time.Minute)`), since
// concurrent syncs are safe. Each run's totals are logged through
// Config.Logger at debug level, each failed flag at error level; a failure
// does not stop the loop. An interval that is not positive is a *ValueError.
func (s *Store) SyncLoop(ctx context.Context, interval time.Duration, flags ...string) error {
	if interval <= 0 {
		return &ValueError{Kind: "sync loop", Field: "interval", Reason: "must be positive, got " + interval.String()}
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s.syncOnce(ctx, flags)
		t.Reset(interval)
	}
}

// syncOnce is one run of SyncLoop, logged.
func (s *Store) syncOnce(ctx context.Context, flags []string) {
	began := time.Now()
	res, err := s.SyncMembership(ctx, flags...)
	if ctx.Err() != nil {
		return // shutting down: an interrupted run is not a failure
	}
	log := s.cfg.Logger
	for _, f := range res.Flags {
		if f.Err != nil {
			log.ErrorContext(ctx, "waffle: membership sync failed", "flag", f.Flag, "err", f.Err)
		}
	}
	if err != nil && len(res.Flags) == 0 { // listing the flags failed
		log.ErrorContext(ctx, "waffle: membership sync failed", "err", err)
		return
	}
	active, added, removed := res.Totals()
	failed := 0
	for _, f := range res.Flags {
		if f.Err != nil {
			failed++
		}
	}
	log.DebugContext(ctx, "waffle: membership sync",
		"flags", len(res.Flags), "failed", failed,
		"active", active, "added", added, "removed", removed,
		"at", res.At, "took", time.Since(began))
}

// syncConn returns the connection a sync of several flags runs its
// transactions on, or nil for a connection per flag: on PostgreSQL, in the
// application's transaction (WithTx: the sync runs on it), and when no
// connection can be had (each flag then reports why). On SQLite, which
// compiles a statement at every call, the sync's statements are prepared
// once on it (15 to 20% less time for a first sync of 100 flags).
// PostgreSQL's driver (pgx) caches prepared statements itself where the
// application's setup allows it (not behind a transaction pooler), so a
// sync there takes a connection per flag, as any write does.
func (s *Store) syncConn(ctx context.Context) *dbtx.Conn {
	if s.inAppTx() || s.q.Dialect != "sqlite" {
		return nil
	}
	db, err := s.primaryDB()
	if err != nil {
		return nil
	}
	c, err := dbtx.Open(ctx, db, !s.cfg.DisablePreparedStatements)
	if err != nil {
		return nil
	}
	return c
}
