package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gowaffle/waffle"
)

var memberCommand = &command{
	name:    "member",
	summary: "add, list and delete the time windows in which users have a flag",
	run:     runMember,
}

const memberSynopsis = `add FLAG USER [--start TIME] [--end TIME] [--note TEXT]
       waffle member list [--flag FLAG] [--user USER] [--active] [--json]
       waffle member delete ID...`

const memberAbout = `A time window gives USER the flag FLAG from --start (inclusive; default now)
until --end (exclusive; default never). TIME is RFC 3339
(2026-12-01T09:00:00Z, 2026-12-01T10:00:00+01:00) or a date (2026-12-01),
which means midnight UTC. A user may have several windows for a flag.
Windows take effect when "waffle sync" runs (cron, or Store.SyncLoop in the
application): it makes the members of the flag's WAFFLE_<flag> group exactly
the users with an active window.`

func runMember(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		cf := newCmdFlags(a, "member", memberSynopsis, memberAbout)
		if _, err := cf.parse(args, 0, 0); err != nil {
			return err
		}
		return cf.usageErr("give a subcommand: add, list or delete")
	}
	sub, args := args[0], args[1:]
	cf := newCmdFlags(a, "member "+sub, memberSynopsis, memberAbout)
	switch sub {
	case "add":
		return memberAdd(ctx, a, cf, args)
	case "list":
		return memberList(ctx, a, cf, args)
	case "delete":
		pos, err := cf.parse(args, 1, -1)
		if err != nil {
			return err
		}
		ids := make([]int64, len(pos))
		for i, p := range pos {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return cf.usageErr("invalid window ID %q (want a number from `waffle member list`)", p)
			}
			ids[i] = id
		}
		return withStore(ctx, cf, func(s *waffle.Store) error {
			n := 0
			var missing []int64
			for _, id := range ids {
				err := s.DeleteWindow(ctx, id)
				switch {
				case errors.Is(err, waffle.ErrNotFound):
					missing = append(missing, id)
				case err != nil:
					return err
				default:
					n++
				}
			}
			a.printf("Deleted %d windows\n", n)
			for _, id := range missing {
				a.printf("Not found: window %d\n", id)
			}
			return nil
		})
	}
	return cf.usageErr("unknown subcommand %q (want add, list or delete)", sub)
}

func memberAdd(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	start := cf.String("start", "", "the first instant of the window: RFC 3339 or YYYY-MM-DD (midnight UTC); default now")
	end := cf.String("end", "", "the first instant after the window: RFC 3339 or YYYY-MM-DD (midnight UTC); default never")
	note := cf.String("note", "", "a note about the window")
	asJSON := cf.jsonFlag()
	pos, err := cf.parse(args, 2, 2)
	if err != nil {
		return err
	}
	m := waffle.FlagMember{Flag: pos[0], User: pos[1], Note: *note}
	if cf.set("start") {
		t, err := parseTime(*start)
		if err != nil {
			return cf.usageErr("--start: %v", err)
		}
		m.Start = t
	}
	if cf.set("end") {
		t, err := parseTime(*end)
		if err != nil {
			return cf.usageErr("--end: %v", err)
		}
		m.End = &t
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		m, err := s.AddWindow(ctx, m)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.stdout, m)
		}
		until := "with no end"
		if m.End != nil {
			until = "until " + formatInstant(*m.End)
		}
		a.printf("Added window %d: user %s has flag %s from %s %s.\n", m.ID, m.User, m.Flag, formatInstant(m.Start), until)
		a.printf("It takes effect at the next `waffle sync %s`.\n", m.Flag)
		return nil
	})
}

type memberJSON struct {
	waffle.FlagMember
	Active bool `json:"active"`
}

func memberList(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	var f waffle.WindowFilter
	cf.StringVar(&f.Flag, "flag", "", "the windows of this flag")
	cf.StringVar(&f.User, "user", "", "the windows of this user ID")
	cf.BoolVar(&f.ActiveOnly, "active", false, "only the windows active now")
	asJSON := cf.jsonFlag()
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		ms, err := s.ListWindows(ctx, f)
		if err != nil {
			return err
		}
		now := time.Now()
		out := make([]memberJSON, len(ms))
		for i, m := range ms {
			out[i] = memberJSON{FlagMember: m, Active: m.ActiveAt(now)}
		}
		if *asJSON {
			return writeJSON(a.stdout, out)
		}
		t := newTable(a.stdout, "ID", "FLAG", "USER", "START", "END", "ACTIVE", "NOTE")
		for _, m := range out {
			endText := "-"
			if m.End != nil {
				endText = formatInstant(*m.End)
			}
			active := "no"
			if m.Active {
				active = "yes"
			}
			t.row(fmt.Sprint(m.ID), m.Flag, m.User, formatInstant(m.Start), endText, active, m.Note)
		}
		return t.flush()
	})
}

// formatInstant prints a window's bound: RFC 3339 in UTC, with fractions of
// a second only when there are some.
func formatInstant(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime parses an instant: RFC 3339 (2026-12-01T09:00:00Z, with or
// without fractional seconds) or a date YYYY-MM-DD, which means midnight UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339 (2026-12-01T09:00:00Z) or a date (2026-12-01, midnight UTC)", s)
}
