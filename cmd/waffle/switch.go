package main

import (
	"fmt"

	"github.com/gowaffle/waffle"
)

var switchCommand = (&settingKind[bool, waffle.Switch, *waffle.Switch]{
	name:    "switch",
	summary: "turn a switch on or off, show it, or list switches",
	about: `Turns the switch NAME on or off, or shows it when no state is given. A switch
that does not exist is an error unless --create is given.`,
	value:  "state",
	syntax: "on|off",
	needs:  "a state (on or off)",
	parse: func(s string) (bool, error) {
		switch s {
		case "on":
			return true, nil
		case "off":
			return false, nil
		}
		return false, fmt.Errorf("invalid state %q (want on or off)", s)
	},
	show:   onOff,
	set:    (*waffle.Store).SetSwitch,
	header: []string{"NAME", "ACTIVE", "MODIFIED", "NOTE"},
	row: func(sw waffle.Switch) []string {
		return []string{sw.Name, onOff(sw.Active), formatTime(sw.Modified), sw.Note}
	},
}).command()
