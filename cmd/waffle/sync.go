package main

import (
	"context"
	"fmt"
	"time"
)

var syncCommand = &command{
	name:    "sync",
	summary: "make each flag's WAFFLE_<flag> group the users with an active window",
	run:     runSync,
}

type syncJSON struct {
	At    time.Time      `json:"at"`
	Flags []flagSyncJSON `json:"flags"`
}

type flagSyncJSON struct {
	Flag    string  `json:"flag"`
	Active  int     `json:"active"`
	Added   int     `json:"added"`
	Removed int     `json:"removed"`
	Error   *string `json:"error"`
}

func runSync(ctx context.Context, a *app, args []string) error {
	cf := newCmdFlags(a, "sync", "[FLAG...] [--json]",
		`Syncs the time windows of the flags named, or of every flag with windows or
a WAFFLE_ group (with --django: every flag of waffle_flag, and
waffle-window's windows too, dates in --django-time-zone): each flag's group WAFFLE_<flag> is attached to it and gets
exactly the users with a window active now. Members added to the group by
other means are removed. Prints, per flag, the users now active and how many
were added and removed. A flag that fails (it does not exist, say) does not
stop the others; the exit status is then 1. Safe to run from several
machines at once (from cron, say).`)
	asJSON := cf.jsonFlag()
	flags, err := cf.parse(args, 0, -1)
	if err != nil {
		return err
	}
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := s.SyncMembership(ctx, flags...)
	if err != nil && len(res.Flags) == 0 {
		return err
	}
	failed := 0
	var first error
	out := syncJSON{At: res.At, Flags: make([]flagSyncJSON, len(res.Flags))}
	for i, f := range res.Flags {
		out.Flags[i] = flagSyncJSON{Flag: f.Flag, Active: f.Active, Added: f.Added, Removed: f.Removed}
		if f.Err != nil {
			msg := a.redact.String(f.Err.Error()) // a driver error may echo the DSN
			out.Flags[i].Error = &msg
			failed++
			if first == nil {
				first = f.Err
			}
		}
	}
	if *asJSON {
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		t := newTable(a.stdout, "FLAG", "ACTIVE", "ADDED", "REMOVED", "ERROR")
		for _, f := range out.Flags {
			errText := ""
			if f.Error != nil {
				errText = *f.Error
			}
			t.row(f.Flag, fmt.Sprint(f.Active), fmt.Sprint(f.Added), fmt.Sprint(f.Removed), errText)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d flags failed to sync, the first: %w", failed, len(res.Flags), first)
	}
	return nil
}
