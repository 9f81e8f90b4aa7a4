package waffle

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// djangoSync is SyncMembership in Django mode: waffle-window's
// sync_flag_membership at scale. For each flag (every flag of waffle_flag
// when none are named, as waffle-window's command does) it makes the
// WAFFLE_<name> auth_group hold exactly the users with a
// waffle_window_flagmember row of the flag live today (start_date <= today
// <= end_date, today in DjangoConfig.TimeZone), creating the group and
// attaching it through waffle_flag_groups. One transaction per flag, holding
// a per-flag lock (an advisory lock on PostgreSQL, the write lock on SQLite),
// so replicas syncing at once queue; it removes only the members without a
// live window and adds only the missing ones, so a user who stays is never
// out of the group and a sync with nothing changed writes nothing.
func (s *Store) djangoSync(ctx context.Context, flags []string) (SyncResult, error) {
	res := SyncResult{At: s.now()}
	if len(flags) == 0 {
		var err error
		if flags, err = scanStrings(ctx, s, s.writePool(), "django_flag_names"); err != nil {
			return res, opError("listing", "flags to sync", "", err)
		}
	}
	seen := make(map[string]bool, len(flags))
	for _, name := range flags {
		if seen[name] {
			continue
		}
		seen[name] = true
		fs := FlagSync{Flag: name, Full: true}
		if err := ValidateName("flag", name); err != nil {
			fs.Err = err
		} else {
			fs.Err = s.syncTx(ctx, nil, func(ex execer) error { return s.djangoSyncFlag(ctx, ex, name, &fs) })
		}
		if fs.Err != nil {
			var nf *NotFoundError
			if !errors.As(fs.Err, &nf) {
				fs.Err = opError("syncing", "flag", name, fs.Err)
			}
			fs.Active, fs.Added, fs.Removed = 0, 0, 0
		}
		res.Flags = append(res.Flags, fs)
	}
	return res, res.Err()
}

// djangoSyncBegin takes the flag's sync lock, creates its WAFFLE_<name>
// group when missing and attaches it, and returns the two IDs and the
// instant and date the windows are judged at (read once the lock is held, so
// that syncs queueing for one flag apply in time order).
func (s *Store) djangoSyncBegin(ctx context.Context, ex execer, name string) (flagID, groupID int64, at time.Time, today string, err error) {
	if _, err = s.exec(ctx, ex, "django_sync_lock", name); err != nil {
		return
	}
	if _, err = s.exec(ctx, ex, "django_sync_group", name); err != nil {
		return
	}
	err = ex.QueryRowContext(ctx, s.q.SQL("django_sync_ids"), name).Scan(&flagID, &groupID)
	if errors.Is(err, sql.ErrNoRows) {
		err = &NotFoundError{Kind: "flag", Name: name}
		return
	}
	if err != nil {
		return
	}
	if _, err = s.exec(ctx, ex, "django_sync_link", flagID, groupID); err != nil {
		return
	}
	at = s.now()
	today = at.In(s.cfg.Django.TimeZone).Format("2006-01-02")
	return
}

// djangoSyncFlag syncs one flag inside its transaction. Live windows are
// waffle-window's (dates, both ends inclusive) and the library's own
// (instants, end exclusive) whose user is an auth_user key.
func (s *Store) djangoSyncFlag(ctx context.Context, ex execer, name string, fs *FlagSync) error {
	flagID, groupID, at, today, err := s.djangoSyncBegin(ctx, ex, name)
	if err != nil {
		return err
	}
	res, err := s.exec(ctx, ex, "django_sync_remove", flagID, groupID, today, at)
	if err != nil {
		return err
	}
	removed, _ := res.RowsAffected()
	if res, err = s.exec(ctx, ex, "django_sync_add", flagID, groupID, today, at); err != nil {
		return err
	}
	added, _ := res.RowsAffected()
	var active int
	if err := ex.QueryRowContext(ctx, s.q.SQL("django_sync_count"), groupID).Scan(&active); err != nil {
		return err
	}
	fs.Active, fs.Added, fs.Removed = active, int(added), int(removed)
	if added == 0 && removed == 0 {
		return nil
	}
	// The same entry as the default mode's sync (docs/audit.md).
	return s.writeEntry(ctx, ex, entry{action: actionSync, kind: "flag", name: name,
		after: map[string]any{"active": active, "added": added, "removed": removed}})
}

// djangoSyncUser is SyncUserMembership in Django mode: user (an auth_user
// key) is in the flag's WAFFLE_<name> group exactly when any of their
// windows of the flag is live.
func (s *Store) djangoSyncUser(ctx context.Context, flag, user string) (bool, error) {
	if err := s.djangoCheckUsers("window", flag, []string{user}); err != nil {
		return false, err
	}
	uid := djangoUserID(user)
	var active bool
	err := s.syncTx(ctx, nil, func(ex execer) error {
		flagID, groupID, at, today, err := s.djangoSyncBegin(ctx, ex, flag)
		if err != nil {
			return err
		}
		if err := ex.QueryRowContext(ctx, s.q.SQL("django_sync_user_active"), flagID, uid, today, at).Scan(&active); err != nil {
			return err
		}
		stmt := "django_sync_user_remove"
		if active {
			stmt = "django_sync_user_add"
		}
		changed, err := s.execCount(ctx, ex, stmt, groupID, uid)
		if err != nil || changed == 0 {
			return err
		}
		counts := map[string]any{"user": user, "added": 0, "removed": 1}
		if active {
			counts["added"], counts["removed"] = 1, 0
		}
		return s.writeEntry(ctx, ex, entry{action: actionSync, kind: "flag", name: flag, after: counts})
	})
	if err != nil {
		var nf *NotFoundError
		if errors.As(err, &nf) {
			return false, err
		}
		return false, opError("syncing", "flag", flag, err)
	}
	return active, nil
}
