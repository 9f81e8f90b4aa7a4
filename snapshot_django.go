package waffle

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Django mode's snapshot. Django's admin and ORM write django-waffle's
// tables without the library's change triggers, so no notification or
// change counter tells of them; and a trigger the library put on Django's
// tables could be dropped unseen by a later Django migration (Django
// rebuilds a SQLite table to alter it). Instead the snapshot polls a
// fingerprint of the tables it holds (django_snapshot_fingerprint, one cheap
// statement every Config.SnapshotPollInterval on both dialects) and reloads
// when it moves; and it reloads in full at least every
// Config.SnapshotMaxAge/2 whatever the fingerprint says, for the changes a
// fingerprint cannot see (QuerySet.update(), raw SQL). The snapshot is known
// current only as of its last load, so past Config.SnapshotMaxAge without a
// successful load reads go to the database. docs/django.md states the bound.
//
// The load itself is the library's (loadSnapshot), run on Django mode's
// statements of the same names (internal/query/django_*/snapshot.sql).

// snapshotWatcher returns the mode's watcher, connected, before the first
// load.
func (s *Store) snapshotWatcher(ctx context.Context) (watcher, error) {
	if s.cfg.Django == nil {
		return s.newWatcher(ctx)
	}
	db, ok := s.pool().(*sql.DB)
	if !ok {
		return nil, errors.New("waffle: StartSnapshot: the Store is bound to a transaction")
	}
	p := &djangoPoller{s: s, db: db}
	// The fingerprint before the first load: a change committed during the
	// load moves it, and the next poll reloads.
	fp, err := p.fingerprint(ctx)
	if err != nil {
		return nil, opError("polling", "snapshot", "", err)
	}
	p.fp, p.loaded = fp, time.Now()
	return p, nil
}

// djangoPoller is Django mode's watcher on both dialects.
type djangoPoller struct {
	s      *Store
	db     *sql.DB
	fp     string    // the fingerprint as of the last load's start
	loaded time.Time // when the last successful load started
}

// fingerprint reads the tables' fingerprint on a connection of the pool.
func (p *djangoPoller) fingerprint(ctx context.Context) (string, error) {
	var fp sql.NullString
	err := p.db.QueryRowContext(ctx, p.s.q.SQL("django_snapshot_fingerprint")).Scan(&fp)
	return fp.String, err
}

func (p *djangoPoller) close() {}

// run polls the fingerprint every Config.SnapshotPollInterval. When it
// moved, reads go to the database at once (markStale) until the reload is
// done; when Config.SnapshotMaxAge/2 passed since the last load, it reloads
// anyway. Only a load marks the snapshot current: a failing database makes
// it expire after Config.SnapshotMaxAge.
func (p *djangoPoller) run(ctx context.Context) {
	s := p.s
	full := s.cfg.SnapshotMaxAge / 2
	t := time.NewTicker(s.cfg.SnapshotPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp, err := p.fingerprint(ctx)
		if err != nil {
			s.snapshotFailed(ctx, "polling", err)
			continue
		}
		moved := fp != p.fp
		if !moved && time.Since(p.loaded) < full {
			continue
		}
		if moved {
			s.snap.markStale()
		}
		started := time.Now()
		if err := s.reloadSnapshot(ctx); err != nil {
			s.snapshotFailed(ctx, "reloading", err)
			continue
		}
		// fp was read before this load began: a change since then moves the
		// next fingerprint, and is reloaded then.
		p.fp, p.loaded = fp, started
	}
}
