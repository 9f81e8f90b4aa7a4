package waffle

import (
	"context"
	"database/sql"
	"errors"
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
		if flags, err = scanStrings(ctx, s, s.pool(), "django_flag_names"); err != nil {
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
			fs.Err = s.writeTx(ctx, func(ex execer) error { return s.djangoSyncFlag(ctx, ex, name, &fs) })
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

// djangoSyncFlag syncs one flag inside its transaction.
func (s *Store) djangoSyncFlag(ctx context.Context, ex execer, name string, fs *FlagSync) error {
	if _, err := s.exec(ctx, ex, "django_sync_lock", name); err != nil {
		return err
	}
	if _, err := s.exec(ctx, ex, "django_sync_group", name); err != nil {
		return err
	}
	var flagID, groupID int64
	err := ex.QueryRowContext(ctx, s.q.SQL("django_sync_ids"), name).Scan(&flagID, &groupID)
	if errors.Is(err, sql.ErrNoRows) {
		return &NotFoundError{Kind: "flag", Name: name}
	}
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, ex, "django_sync_link", flagID, groupID); err != nil {
		return err
	}
	// Read the clock once the lock is held: syncs queueing for one flag
	// apply in time order.
	today := s.cfg.Now().In(s.cfg.Django.TimeZone).Format("2006-01-02")
	res, err := s.exec(ctx, ex, "django_sync_remove", flagID, groupID, today)
	if err != nil {
		return err
	}
	removed, _ := res.RowsAffected()
	if res, err = s.exec(ctx, ex, "django_sync_add", flagID, groupID, today); err != nil {
		return err
	}
	added, _ := res.RowsAffected()
	var active int
	if err := ex.QueryRowContext(ctx, s.q.SQL("django_sync_count"), flagID, today).Scan(&active); err != nil {
		return err
	}
	fs.Active, fs.Added, fs.Removed = active, int(added), int(removed)
	return nil
}
