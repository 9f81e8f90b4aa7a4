package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gowaffle/waffle"
)

var switchCommand = &command{
	name:    "switch",
	summary: "turn a switch on or off, show it, or list switches",
	run:     runSwitch,
}

func runSwitch(ctx context.Context, a *app, args []string) error {
	cf := newCmdFlags(a, "switch", "NAME [on|off] [--create] | --list [--json]",
		`Turns the switch NAME on or off, or shows it when no state is given. A switch
that does not exist is an error unless --create is given.`)
	list := cf.Bool("list", false, "list every switch")
	create := cf.Bool("create", false, "create the switch when it does not exist")
	asJSON := cf.jsonFlag()
	pos, err := cf.parse(args, 0, 2)
	if err != nil {
		return err
	}
	if *list {
		if len(pos) > 0 || *create {
			return cf.usageErr("--list takes no name, state or --create")
		}
		s, closeDB, err := cf.store(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		return listSwitches(ctx, a, s, *asJSON)
	}
	if len(pos) == 0 {
		return cf.usageErr("give a switch name and a state, or --list")
	}
	name := pos[0]
	var active *bool
	if len(pos) == 2 {
		switch pos[1] {
		case "on":
			active = new(true)
		case "off":
			active = new(false)
		default:
			return cf.usageErr("invalid state %q (want on or off)", pos[1])
		}
	}
	if *create && active == nil {
		return cf.usageErr("give a state (on or off) with --create")
	}
	if err := waffle.ValidateName("switch", name); err != nil {
		return err
	}
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()

	sw, err := s.GetSwitch(ctx, name)
	switch {
	case errors.Is(err, waffle.ErrNotFound) && *create:
		a.printf("Creating switch: %s\n", name)
	case errors.Is(err, waffle.ErrNotFound):
		return fmt.Errorf("switch %q does not exist (add --create to create it)", name)
	case err != nil:
		return err
	case active == nil:
		if *asJSON {
			return writeJSON(a.stdout, sw)
		}
		return listSwitchRows(a, []waffle.Switch{*sw})
	}
	if err := s.SetSwitch(ctx, name, *active); err != nil {
		return err
	}
	a.printf("Switch %s: %s\n", name, onOff(*active))
	return nil
}

func listSwitches(ctx context.Context, a *app, s *waffle.Store, asJSON bool) error {
	sws, err := s.ListSwitches(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if sws == nil {
			sws = []waffle.Switch{}
		}
		return writeJSON(a.stdout, sws)
	}
	return listSwitchRows(a, sws)
}

func listSwitchRows(a *app, sws []waffle.Switch) error {
	t := newTable(a.stdout, "NAME", "ACTIVE", "MODIFIED", "NOTE")
	for _, sw := range sws {
		t.row(sw.Name, onOff(sw.Active), formatTime(sw.Modified), sw.Note)
	}
	return t.flush()
}
