package waffle

import (
	"context"
	"database/sql"
	"time"
)

// statusEntry is one object's state in a snapshot.
type statusEntry struct {
	name     string
	active   bool
	modified time.Time
}

// snapshot is every flag, switch and sample with its state for one request.
type snapshot struct {
	flags, switches, samples statusMap
}

// snapshot lists every flag, switch and sample and evaluates them for the
// request in ctx: three listing statements, then one evaluation statement per
// flag. Samples are drawn from their listed percent with the rule of
// [Store.SampleIsActive]. Rows whose names break the name rule (written by
// another tool into a shared database) are left out: the library cannot
// evaluate them.
func (s *Store) snapshot(ctx context.Context) (*snapshot, error) {
	var snap snapshot
	var err error
	snap.flags, err = s.listStatus(ctx, "status_flags", "flags", func(rows *sql.Rows, e *statusEntry) error {
		return rows.Scan(&e.name, &e.modified)
	})
	if err != nil {
		return nil, err
	}
	for i := range snap.flags {
		e := &snap.flags[i]
		if e.active, err = s.FlagIsActive(ctx, e.name); err != nil {
			return nil, err
		}
	}
	snap.switches, err = s.listStatus(ctx, "status_switches", "switches", func(rows *sql.Rows, e *statusEntry) error {
		return rows.Scan(&e.name, &e.active, &e.modified)
	})
	if err != nil {
		return nil, err
	}
	snap.samples, err = s.listStatus(ctx, "status_samples", "samples", func(rows *sql.Rows, e *statusEntry) error {
		var percent float64
		if err := rows.Scan(&e.name, &percent, &e.modified); err != nil {
			return err
		}
		e.active = s.cfg.Rand()*100 < percent
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &snap, nil
}

// listStatus runs the listing statement stmt and scans each row into an
// entry, leaving out invalid names.
func (s *Store) listStatus(ctx context.Context, stmt, kinds string, scan func(*sql.Rows, *statusEntry) error) (statusMap, error) {
	rows, err := s.query(ctx, s.pool(), stmt)
	if err != nil {
		return nil, opError("listing", kinds, "", err)
	}
	defer rows.Close()
	var out statusMap
	for rows.Next() {
		var e statusEntry
		if err := scan(rows, &e); err != nil {
			return nil, opError("listing", kinds, "", err)
		}
		if nameProblem(e.name) == "" {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, opError("listing", kinds, "", err)
	}
	return out, nil
}
