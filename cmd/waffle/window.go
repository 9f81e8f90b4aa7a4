package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gowaffle/waffle"
)

var windowCommand = &command{
	name:    "window",
	summary: "add, list, update and delete the time windows in which users have a flag",
	run: func(ctx context.Context, a *app, args []string) error {
		return runSubcommand(ctx, a, "window", windowSynopsis, windowAbout, args, []subcommand{
			{"add", windowAdd}, {"list", windowList}, {"update", windowUpdate}, {"delete", windowDelete},
		})
	},
}

const windowSynopsis = `add FLAG USER [--start TIME] [--end TIME|never] [--note TEXT] [--json]
       waffle window list [--flag FLAG] [--user USER] [--active] [--json]
       waffle window update ID [--flag FLAG] [--user USER] [--start TIME] [--end TIME|never] [--note TEXT] [--json]
       waffle window delete ID...`

const windowAbout = `A time window gives USER the flag FLAG from --start (inclusive; default now)
until --end (exclusive; default never). TIME is RFC 3339
(2026-12-01T09:00:00Z, 2026-12-01T10:00:00+01:00) or a date (2026-12-01),
which means midnight UTC. A user may have several windows for a flag. update
changes only the fields given (--end never removes the end). Windows take
effect when "waffle sync" runs (cron, or Store.SyncLoop in the application):
it makes the members of the flag's WAFFLE_<flag> group exactly the users
with an active window.`

// subcommand is one verb of a command with several (window add, group list).
type subcommand struct {
	name string
	run  func(ctx context.Context, a *app, cf *cmdFlags, args []string) error
}

// runSubcommand runs the subcommand args[0] of the command name.
func runSubcommand(ctx context.Context, a *app, name, synopsis, about string, args []string, subs []subcommand) error {
	names := ""
	for i, s := range subs {
		switch {
		case i == 0:
		case i == len(subs)-1:
			names += " or "
		default:
			names += ", "
		}
		names += s.name
	}
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		cf := newCmdFlags(a, name, synopsis, about)
		if _, err := cf.parse(args, 0, 0); err != nil {
			return err
		}
		return cf.usageErr("give a subcommand: %s", names)
	}
	cf := newCmdFlags(a, name+" "+args[0], synopsis, about)
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, a, cf, args[1:])
		}
	}
	return cf.usageErr("unknown subcommand %q (want %s)", args[0], names)
}

// windowOptions are the options that set a window's fields.
type windowOptions struct {
	flag, user, start, end, note *string
	asJSON                       *bool
}

func newWindowOptions(cf *cmdFlags, update bool) *windowOptions {
	o := &windowOptions{}
	if update {
		o.flag = cf.String("flag", "", "move the window to this flag")
		o.user = cf.String("user", "", "move the window to this user ID")
	}
	o.start = cf.String("start", "", "the first instant of the window: RFC 3339 or YYYY-MM-DD (midnight UTC); default now")
	o.end = cf.String("end", "", "the first instant after the window: RFC 3339 or YYYY-MM-DD (midnight UTC), or never (the default)")
	o.note = cf.String("note", "", "a note about the window")
	o.asJSON = cf.jsonFlag()
	return o
}

// apply sets the fields given on m.
func (o *windowOptions) apply(cf *cmdFlags, m *waffle.FlagMember) error {
	if cf.set("flag") {
		m.Flag = *o.flag
	}
	if cf.set("user") {
		m.User = *o.user
	}
	if cf.set("note") {
		m.Note = *o.note
	}
	if cf.set("start") {
		t, err := parseTime(*o.start)
		if err != nil {
			return cf.usageErr("--start: %v", err)
		}
		m.Start = t
	}
	switch {
	case !cf.set("end"):
	case *o.end == "never":
		m.End = nil
	default:
		t, err := parseTime(*o.end)
		if err != nil {
			return cf.usageErr("--end: %v", err)
		}
		m.End = &t
	}
	return nil
}

// report prints the window as stored, and the sync command that makes it
// take effect, with the Django-mode options the command line gave.
func (o *windowOptions) report(a *app, cf *cmdFlags, verb string, m waffle.FlagMember) error {
	if *o.asJSON {
		return writeJSON(a.stdout, windowJSON{FlagMember: m, Active: m.ActiveAt(time.Now())})
	}
	until := "with no end"
	if m.End != nil {
		until = "until " + formatInstant(*m.End)
	}
	a.printf("%s window %d: user %s has flag %s from %s %s.\n", verb, m.ID, m.User, m.Flag, formatInstant(m.Start), until)
	a.printf("It takes effect at the next `waffle sync%s %s`.\n", cf.djangoArgs(), m.Flag)
	return nil
}

func windowAdd(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	o := newWindowOptions(cf, false)
	pos, err := cf.parse(args, 2, 2)
	if err != nil {
		return err
	}
	m := waffle.FlagMember{Flag: pos[0], User: pos[1]}
	if err := o.apply(cf, &m); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		m, err := s.AddWindow(ctx, m)
		if err != nil {
			return err
		}
		return o.report(a, cf, "Added", m)
	})
}

func windowUpdate(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	o := newWindowOptions(cf, true)
	pos, err := cf.parse(args, 1, 1)
	if err != nil {
		return err
	}
	ids, err := windowIDs(cf, pos)
	if err != nil {
		return err
	}
	var probe waffle.FlagMember
	if err := o.apply(cf, &probe); err != nil { // check the options before opening
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		m, err := s.GetWindow(ctx, ids[0])
		if err != nil {
			return err
		}
		if err := o.apply(cf, &m); err != nil {
			return err
		}
		if m, err = s.UpdateWindow(ctx, m); err != nil {
			return err
		}
		return o.report(a, cf, "Updated", m)
	})
}

// windowIDs parses window IDs.
func windowIDs(cf *cmdFlags, pos []string) ([]int64, error) {
	ids := make([]int64, len(pos))
	for i, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, cf.usageErr("invalid window ID %q (want a number from `waffle window list`)", p)
		}
		ids[i] = id
	}
	return ids, nil
}

func windowDelete(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	pos, err := cf.parse(args, 1, -1)
	if err != nil {
		return err
	}
	ids, err := windowIDs(cf, pos)
	if err != nil {
		return err
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

type windowJSON struct {
	waffle.FlagMember
	Active bool `json:"active"`
}

func windowList(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
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
		out := make([]windowJSON, len(ms))
		for i, m := range ms {
			out[i] = windowJSON{FlagMember: m, Active: m.ActiveAt(now)}
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
