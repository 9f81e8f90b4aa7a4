package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gowaffle/waffle"
)

var historyCommand = &command{
	name:    "history",
	summary: "list the audit trail: who changed what, and when",
	run:     runHistory,
}

const historyAbout = `Lists the changes recorded in the audit trail, newest first: the time, who made
the change (the --actor given to waffle, $USER by default, or what the
application passed to waffle.WithActor), the action, what changed and its
state before and after (only the fields that changed, for an update).

--since and --until take RFC 3339 (2026-12-01T09:00:00Z), a date (2026-12-01,
midnight UTC) or a duration back from now (24h, 90m). A full page ends with
the --before value that lists the next one.`

func runHistory(ctx context.Context, a *app, args []string) error {
	cf := newCmdFlags(a, "history", "[--kind K] [--name N] [--actor A] [--since T] [--until T] [--limit N] [--before ID] [--json]", historyAbout)
	var f waffle.HistoryFilter
	cf.StringVar(&f.Kind, "kind", "", "only changes of this kind: flag, switch, sample, string_flag, group, window")
	cf.StringVar(&f.Name, "name", "", "only changes of the object with this name (a window's: its flag's)")
	cf.StringVar(&f.Actor, "actor", "", "only changes made by this actor")
	since := cf.String("since", "", "only changes at or after this time")
	until := cf.String("until", "", "only changes before this time")
	cf.IntVar(&f.Limit, "limit", 50, "the most changes listed (1 to "+strconv.Itoa(waffle.MaxHistoryLimit)+")")
	cf.Int64Var(&f.Before, "before", 0, "only changes with an ID below this one: the next page")
	asJSON := cf.jsonFlag()
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	if f.Limit < 1 || f.Limit > waffle.MaxHistoryLimit {
		return cf.usageErr("--limit must be from 1 to %d, got %d", waffle.MaxHistoryLimit, f.Limit)
	}
	if f.Before < 0 {
		return cf.usageErr("--before must not be negative, got %d", f.Before)
	}
	now := time.Now()
	var err error
	if f.Since, err = historyTime(*since, now); err != nil {
		return cf.usageErr("--since: %s", err)
	}
	if f.Until, err = historyTime(*until, now); err != nil {
		return cf.usageErr("--until: %s", err)
	}
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	page, err := s.History(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, page)
	}
	t := newTable(a.stdout, "ID", "TIME", "ACTOR", "ACTION", "KIND", "NAME", "BEFORE", "AFTER")
	for _, e := range page {
		t.row(strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), orDash(e.Actor),
			e.Action, e.Kind, e.Name, orDash(string(e.Before)), orDash(string(e.After)))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(page) == f.Limit {
		a.printf("More: --before %d\n", page[len(page)-1].ID)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// historyTime parses a bound of --since or --until: RFC 3339, a date
// (midnight UTC) or a duration back from now. "" is no bound.
func historyTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339 (2026-12-01T09:00:00Z), a date (2026-12-01) or a duration back from now (24h)", s)
}
