package waffle

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// watcher keeps a snapshot current: it learns of every change and reloads.
type watcher interface {
	run(ctx context.Context)
	close()
}

// newWatcher returns the dialect's watcher, connected, before the first
// load: a change committed during the load is then seen after it.
func (s *Store) newWatcher(ctx context.Context) (watcher, error) {
	db, ok := s.pool().(*sql.DB)
	if !ok {
		return nil, errors.New("waffle: StartSnapshot: the Store is bound to a transaction")
	}
	if s.q.Dialect == "postgres" {
		cfg, err := pgxConfig(ctx, db)
		if err != nil {
			return nil, err
		}
		l := &pgListener{s: s, cfg: cfg}
		if err := l.connect(ctx); err != nil {
			return nil, opError("listening", "snapshot", "", err)
		}
		return l, nil
	}
	p := &sqlitePoller{s: s}
	if err := p.connect(ctx, db); err != nil {
		return nil, opError("polling", "snapshot", "", err)
	}
	return p, nil
}

// pgxConfig returns the connection settings of db's connections: the
// listener opens its own connection with them, outside the pool.
func pgxConfig(ctx context.Context, db *sql.DB) (*pgx.ConnConfig, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, opError("listening", "snapshot", "", err)
	}
	defer conn.Close()
	var cfg *pgx.ConnConfig
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return errors.New("waffle: StartSnapshot needs the pgx driver (gorm.io/driver/postgres)")
		}
		cfg = c.Conn().Config().Copy()
		return nil
	})
	return cfg, err
}

// pgListener is PostgreSQL's watcher: LISTEN waffle_change on a connection
// of its own.
type pgListener struct {
	s    *Store
	cfg  *pgx.ConnConfig
	conn *pgx.Conn
}

func (l *pgListener) connect(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN waffle_change"); err != nil {
		_ = conn.Close(ctx)
		return err
	}
	l.conn = conn
	l.s.snap.listenerPID.Store(conn.PgConn().PID())
	return nil
}

func (l *pgListener) close() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
}

// run waits for notifications and reloads at each (a burst is one reload).
// Between notifications it confirms the connection every third of
// Config.SnapshotMaxAge, which keeps the snapshot current. A lost
// connection marks the snapshot stale (reads go to the database), then it
// reconnects and reloads, retrying with a growing pause.
func (l *pgListener) run(ctx context.Context) {
	defer l.close()
	s := l.s
	check := max(s.cfg.SnapshotMaxAge/3, time.Millisecond)
	pause := 10 * time.Millisecond
	for ctx.Err() == nil {
		if l.conn == nil {
			if err := l.connect(ctx); err != nil {
				s.snapshotFailed(ctx, "listening", err)
				sleep(ctx, pause)
				pause = min(pause*2, s.cfg.SnapshotMaxAge)
				continue
			}
			if err := s.reloadSnapshot(ctx); err != nil {
				s.snapshotFailed(ctx, "reloading", err)
				l.close()
				continue
			}
			pause = 10 * time.Millisecond
		}
		wctx, cancel := context.WithTimeout(ctx, check)
		started := time.Now()
		_, err := l.conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			// Stale from now until reloaded: reads go to the database.
			s.snap.markStale()
			l.drain(ctx)
			if err := s.reloadSnapshot(ctx); err != nil {
				s.snapshotFailed(ctx, "reloading", err)
				l.close()
			}
		case ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded) && !l.conn.IsClosed():
			// No notification: still current if the connection is alive.
			if err := l.conn.Ping(ctx); err != nil {
				s.snapshotFailed(ctx, "listening", err)
				l.close()
				continue
			}
			s.snap.markCurrent(started)
		default:
			s.snapshotFailed(ctx, "listening", err)
			l.close()
		}
	}
}

// drain takes the notifications already received, so that a burst of
// changes costs one reload.
func (l *pgListener) drain(ctx context.Context) {
	for {
		wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		_, err := l.conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			return
		}
	}
}

// sqlitePoller is SQLite's watcher: on a connection of its own, PRAGMA
// data_version (which moves when another connection commits) every
// Config.SnapshotPollInterval, then the schema's change counter when it
// moved.
type sqlitePoller struct {
	s       *Store
	conn    *sql.Conn
	data    int64
	version int64
}

func (p *sqlitePoller) connect(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	p.conn = conn
	if err := p.read(ctx, "PRAGMA data_version", &p.data); err != nil {
		p.close()
		return err
	}
	if err := p.read(ctx, p.s.q.SQL("snapshot_version"), &p.version); err != nil {
		p.close()
		return err
	}
	return nil
}

func (p *sqlitePoller) read(ctx context.Context, query string, into *int64) error {
	return p.conn.QueryRowContext(ctx, query).Scan(into)
}

func (p *sqlitePoller) close() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
}

func (p *sqlitePoller) run(ctx context.Context) {
	defer p.close()
	s := p.s
	t := time.NewTicker(s.cfg.SnapshotPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		started := time.Now()
		var data, version int64
		if err := p.read(ctx, "PRAGMA data_version", &data); err != nil {
			s.snapshotFailed(ctx, "polling", err)
			continue
		}
		if data == p.data {
			s.snap.markCurrent(started)
			continue
		}
		if err := p.read(ctx, s.q.SQL("snapshot_version"), &version); err != nil {
			s.snapshotFailed(ctx, "polling", err)
			continue
		}
		p.data = data
		if version == p.version {
			s.snap.markCurrent(started)
			continue
		}
		s.snap.markStale()
		if err := s.reloadSnapshot(ctx); err != nil {
			s.snapshotFailed(ctx, "reloading", err)
			continue
		}
		p.version = version
	}
}

// snapshotFailed logs a watcher's failure. The snapshot ages meanwhile:
// past Config.SnapshotMaxAge, reads go to the database.
func (s *Store) snapshotFailed(ctx context.Context, doing string, err error) {
	if ctx.Err() != nil {
		return
	}
	s.cfg.Logger.WarnContext(ctx, "waffle: snapshot "+doing+" failed", "err", err)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
