package waffle

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"time"
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
		l := &pgListener{s: s, db: db}
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

// pgListener is PostgreSQL's watcher: LISTEN waffle_change on a connection
// taken from the pool and held for the snapshot's life. The notifications
// are read from the driver's own connection (pgx's, under gorm's PostgreSQL
// driver) through database/sql's Raw, by method name: the library names no
// pgx type, so an application on SQLite builds no PostgreSQL driver.
type pgListener struct {
	s      *Store
	db     *sql.DB
	conn   *sql.Conn
	schema string // the listener's current schema: notifications of others are not ours
}

func (l *pgListener) connect(ctx context.Context) error {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	var pid uint32
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid(), current_schema()").Scan(&pid, &l.schema); err != nil {
		_ = conn.Close()
		return err
	}
	if _, err := conn.ExecContext(ctx, "LISTEN waffle_change"); err != nil {
		_ = conn.Close()
		return err
	}
	l.conn = conn
	l.s.snap.listenerPID.Store(pid)
	return nil
}

func (l *pgListener) close() {
	if l.conn != nil {
		// UNLISTEN so that the connection goes back to the pool clean; a
		// broken one is dropped by database/sql.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = l.conn.ExecContext(ctx, "UNLISTEN *")
		cancel()
		_ = l.conn.Close()
		l.conn = nil
	}
}

// errNoNotifications is returned when the driver's connection cannot wait
// for notifications (a driver other than pgx).
var errNoNotifications = errors.New("waffle: StartSnapshot on PostgreSQL needs the pgx driver (gorm.io/driver/postgres)")

// waitForNotification waits on the listener's connection until a
// notification of a table of its own schema arrives (the channel is the
// database's) or ctx ends: pgx's (*pgx.Conn).WaitForNotification, reached
// from database/sql's driver connection (*stdlib.Conn).Conn().
func (l *pgListener) waitForNotification(ctx context.Context) error {
	return l.conn.Raw(func(dc any) error {
		get := reflect.ValueOf(dc).MethodByName("Conn")
		if !get.IsValid() || get.Type().NumIn() != 0 || get.Type().NumOut() != 1 {
			return errNoNotifications
		}
		wait := get.Call(nil)[0].MethodByName("WaitForNotification")
		if !wait.IsValid() || wait.Type().NumIn() != 1 || wait.Type().NumOut() != 2 {
			return errNoNotifications
		}
		for {
			out := wait.Call([]reflect.Value{reflect.ValueOf(ctx)})
			if err, ok := out[1].Interface().(error); ok && err != nil {
				return err
			}
			if l.ours(out[0]) {
				return nil
			}
		}
	})
}

// ours reports whether the notification n (a *pgconn.Notification) is of a
// table of the listener's schema: its payload is "schema.table". A payload
// it cannot read counts as ours (a reload too many, never one too few).
func (l *pgListener) ours(n reflect.Value) bool {
	if n.Kind() == reflect.Pointer {
		if n.IsNil() {
			return true
		}
		n = n.Elem()
	}
	if n.Kind() != reflect.Struct {
		return true
	}
	payload := n.FieldByName("Payload")
	if !payload.IsValid() || payload.Kind() != reflect.String {
		return true
	}
	schema, _, ok := strings.Cut(payload.String(), ".")
	return !ok || schema == l.schema
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
		err := l.waitForNotification(wctx)
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
		case errors.Is(err, context.DeadlineExceeded):
			// No notification: still current if the connection is alive.
			if err := l.conn.PingContext(ctx); err != nil {
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
		err := l.waitForNotification(wctx)
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
