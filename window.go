package waffle

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"time"
)

// FlagMember is a time window in which a user has a flag (waffle-window's
// FlagMember). The window is active at an instant t when Start <= t and, if
// End is set, t < End: the start is inclusive, the end exclusive, and a nil
// End never ends. A user may have several windows for one flag, overlapping
// or not; the user has the flag while any of them is active.
//
// Windows take effect through [Store.SyncMembership] (or [Store.SyncUserMembership]
// for one user), which makes the members of the flag's group
// [SyncGroupName] exactly the users with an active window.
type FlagMember struct {
	// ID identifies the window. [Store.AddWindow] sets it.
	ID int64 `json:"id"`
	// Flag is the flag's name. The flag must exist.
	Flag string `json:"flag"`
	// User is the application's user ID: 1 to [MaxUserIDLength] code points
	// of valid UTF-8 without control characters.
	User string `json:"user"`
	// Start is the first instant of the window. The zero time means the
	// configured clock's now (Config.Now) when the window is written.
	Start time.Time `json:"start"`
	// End is the first instant after the window, which must be after Start;
	// nil means open-ended.
	End *time.Time `json:"end,omitempty"`
	// Note is free text.
	Note string `json:"note"`
	// Created is when the window was added, by the configured clock.
	Created time.Time `json:"created"`
}

// ActiveAt reports whether the window is active at t: Start <= t, and t < End
// when End is set.
func (m FlagMember) ActiveAt(t time.Time) bool {
	return !t.Before(m.Start) && (m.End == nil || t.Before(*m.End))
}

// SyncGroupName returns the name of the group that [Store.SyncMembership]
// keeps for flag: "WAFFLE_" followed by the flag's name, as waffle-window
// names it.
func SyncGroupName(flag string) string { return syncGroupPrefix + flag }

// WindowFilter selects the windows [Store.ListWindows] returns. The zero
// value selects every window.
type WindowFilter struct {
	// Flag, when set, keeps the windows of the flag with this name. A flag
	// that does not exist is a *NotFoundError.
	Flag string
	// User, when set, keeps the windows of this user ID.
	User string
	// ActiveOnly keeps the windows active at the configured clock's now.
	ActiveOnly bool
	// AfterID keeps the windows whose ID is greater: pass the last ID of a
	// page to get the next one.
	AfterID int64
	// Limit is the most windows returned; 0 means no limit.
	Limit int
}

// AddWindow stores a new time window and returns it as stored: with its ID
// and created time, and its times in UTC at microsecond precision. It checks
// m first and writes nothing when m is invalid: an invalid flag name is a
// *NameError, an invalid user ID or an End not after Start a *ValueError, and
// a flag that does not exist a *NotFoundError. One statement.
//
// The window counts once [Store.SyncMembership] or [Store.SyncUserMembership] has run.
func (s *Store) AddWindow(ctx context.Context, m FlagMember) (FlagMember, error) {
	m, err := s.checkMember(m)
	if err != nil {
		return FlagMember{}, err
	}
	m.Created = s.now()
	err = s.write(ctx, func(ex execer) error {
		err := ex.QueryRowContext(ctx, s.q.SQL("window_insert"),
			m.Flag, m.User, m.Start, nullTime(m.End), m.Note, m.Created).Scan(&m.ID)
		if err != nil {
			return err
		}
		return s.writeEntry(ctx, ex, entry{action: actionCreate, kind: "window", name: m.Flag, after: windowState(m)})
	})
	if errors.Is(err, sql.ErrNoRows) {
		return FlagMember{}, &NotFoundError{Kind: "flag", Name: m.Flag}
	}
	if err != nil {
		return FlagMember{}, opError("adding a window to", "flag", m.Flag, err)
	}
	return m, nil
}

// GetWindow returns the window with this ID, or a *NotFoundError of kind
// "window".
func (s *Store) GetWindow(ctx context.Context, id int64) (FlagMember, error) {
	rows, err := s.query(ctx, s.pool(), "window_get", id)
	if err != nil {
		return FlagMember{}, opError("reading", "window", strconv.FormatInt(id, 10), err)
	}
	list, err := scanMembers(rows)
	if err != nil {
		return FlagMember{}, opError("reading", "window", strconv.FormatInt(id, 10), err)
	}
	if len(list) == 0 {
		return FlagMember{}, windowNotFound(id)
	}
	return list[0], nil
}

// ListWindows returns the windows f selects, in ID order (the order they were
// added). Use f.Limit and f.AfterID to page through many windows.
func (s *Store) ListWindows(ctx context.Context, f WindowFilter) ([]FlagMember, error) {
	if f.Flag != "" {
		if err := ValidateName("flag", f.Flag); err != nil {
			return nil, err
		}
	}
	if f.User != "" {
		if err := checkUserID(f.Flag, f.User); err != nil {
			return nil, err
		}
	}
	if f.Limit < 0 {
		return nil, &ValueError{Kind: "window list", Field: "limit", Reason: "must not be negative, got " + strconv.Itoa(f.Limit)}
	}
	limit := int64(math.MaxInt64)
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	var at any
	if f.ActiveOnly {
		at = s.now()
	}
	args := []any{f.AfterID, at, limit}
	stmt := "window_list"
	switch {
	case f.Flag != "" && f.User != "":
		stmt, args = "window_list_flag_user", append(args, f.Flag, f.User)
	case f.Flag != "":
		stmt, args = "window_list_flag", append(args, f.Flag)
	case f.User != "":
		stmt, args = "window_list_user", append(args, f.User)
	}
	rows, err := s.query(ctx, s.pool(), stmt, args...)
	if err != nil {
		return nil, opError("listing", "windows", "", err)
	}
	list, err := scanMembers(rows)
	if err != nil {
		return nil, opError("listing", "windows", "", err)
	}
	if len(list) == 0 && f.Flag != "" {
		// Nothing listed: tell a flag without windows from a missing one.
		if _, err := s.flagID(ctx, s.writePool(), f.Flag); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// UpdateWindow rewrites the window m.ID with m's flag, user, start, end and
// note (its created time stays), checking m as [Store.AddWindow] does, and
// returns it as stored. A window that does not exist is a *NotFoundError of
// kind "window"; a flag that does not exist, one of kind "flag". One
// statement when it succeeds.
//
// The change counts once [Store.SyncMembership] or [Store.SyncUserMembership] has run
// (for a window moved to another user or flag, sync both).
func (s *Store) UpdateWindow(ctx context.Context, m FlagMember) (FlagMember, error) {
	m, err := s.checkMember(m)
	if err != nil {
		return FlagMember{}, err
	}
	err = s.write(ctx, func(ex execer) error {
		var old []FlagMember
		if s.auditing() {
			rows, err := s.query(ctx, ex, "audit_window_old", m.ID)
			if err != nil {
				return err
			}
			if old, err = scanMembers(rows); err != nil {
				return err
			}
		}
		err := ex.QueryRowContext(ctx, s.q.SQL("window_update"),
			m.ID, m.Flag, m.User, m.Start, nullTime(m.End), m.Note).Scan(&m.Created)
		if err != nil || len(old) == 0 {
			return err
		}
		m.Created = dbTime(m.Created)
		e, changed := changeEntry("window", m.Flag, windowState(old[0]), windowState(m))
		if !changed {
			return nil
		}
		return s.writeEntry(ctx, ex, e)
	})
	if errors.Is(err, sql.ErrNoRows) {
		// The window or the flag is missing: say which.
		if _, err := s.GetWindow(ctx, m.ID); err != nil {
			return FlagMember{}, err
		}
		return FlagMember{}, &NotFoundError{Kind: "flag", Name: m.Flag}
	}
	if err != nil {
		return FlagMember{}, opError("updating", "window", strconv.FormatInt(m.ID, 10), err)
	}
	m.Created = dbTime(m.Created)
	return m, nil
}

// DeleteWindow deletes the window with this ID, or returns a *NotFoundError
// of kind "window". The user keeps the flag until the next sync.
func (s *Store) DeleteWindow(ctx context.Context, id int64) error {
	err := s.write(ctx, func(ex execer) error {
		var old []FlagMember
		if s.auditing() {
			rows, err := s.query(ctx, ex, "audit_window_old", id)
			if err != nil {
				return err
			}
			if old, err = scanMembers(rows); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, ex, "window_delete", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return windowNotFound(id)
		}
		if len(old) == 0 {
			return nil
		}
		return s.writeEntry(ctx, ex, entry{action: actionDelete, kind: "window", name: old[0].Flag, before: windowState(old[0])})
	})
	var nf *NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return opError("deleting", "window", strconv.FormatInt(id, 10), err)
	}
	return err
}

// checkMember validates m and returns it ready to store: the zero Start
// replaced by now, times in UTC at microsecond precision.
func (s *Store) checkMember(m FlagMember) (FlagMember, error) {
	if err := ValidateName("flag", m.Flag); err != nil {
		return m, err
	}
	if err := checkUserID(m.Flag, m.User); err != nil {
		return m, err
	}
	if err := s.djangoCheckUsers("window", m.Flag, []string{m.User}); err != nil {
		return m, err
	}
	if m.Start.IsZero() {
		m.Start = s.now()
	} else {
		m.Start = dbTime(m.Start)
	}
	if m.End != nil {
		end := dbTime(*m.End)
		if !end.After(m.Start) {
			return m, &ValueError{Kind: "window", Name: m.Flag, Field: "end",
				Reason: "must be after start (" + m.Start.Format(time.RFC3339Nano) + "), got " + end.Format(time.RFC3339Nano)}
		}
		m.End = &end
	}
	return m, nil
}

// checkUserID applies the library's user ID rule (1 to [MaxUserIDLength]
// code points of valid UTF-8, no control characters) to a window's user.
func checkUserID(flag, user string) error {
	return validateUserID("window", flag, user)
}

// flagID returns the ID of the flag called name, or a *NotFoundError.
func (s *Store) flagID(ctx context.Context, ex execer, name string) (int64, error) {
	var id int64
	err := ex.QueryRowContext(ctx, s.q.SQL("window_flag_id"), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &NotFoundError{Kind: "flag", Name: name}
	}
	if err != nil {
		return 0, opError("reading", "flag", name, err)
	}
	return id, nil
}

func windowNotFound(id int64) error {
	return &NotFoundError{Kind: "window", Name: strconv.FormatInt(id, 10)}
}

// nullTime is t as a statement argument: NULL when t is nil.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// scanMembers reads the rows of a window_get or window_list statement and
// closes them.
func scanMembers(rows *sql.Rows) ([]FlagMember, error) {
	defer rows.Close()
	var list []FlagMember
	for rows.Next() {
		var m FlagMember
		var end sql.NullTime
		if err := rows.Scan(&m.ID, &m.Flag, &m.User, &m.Start, &end, &m.Note, &m.Created); err != nil {
			return nil, err
		}
		m.Start, m.Created = dbTime(m.Start), dbTime(m.Created)
		if end.Valid {
			e := dbTime(end.Time)
			m.End = &e
		}
		list = append(list, m)
	}
	return list, rows.Err()
}
