package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gowaffle/waffle"
)

// deleteKind is one kind of object the delete command removes by name.
type deleteKind struct {
	option string // the repeatable option: --flag NAME
	plural string // for the report: "Deleted 2 Flags"
	delete func(s *waffle.Store, ctx context.Context, name string) error
}

// deleteKinds lists the kinds in the order they are deleted (upstream's:
// flags, switches, samples), each from the file of its kind.
var deleteKinds = []deleteKind{
	flagDeleteKind,
	{option: "switch", plural: "Switches", delete: (*waffle.Store).DeleteSwitch},
	sampleDeleteKind,
	stringDeleteKind,
}

var deleteCommand = &command{
	name:    "delete",
	summary: "delete flags, switches, samples and string flags by name",
	run:     runDelete,
}

func runDelete(ctx context.Context, a *app, args []string) error {
	var kinds []deleteKind
	for _, k := range deleteKinds {
		if k.delete != nil {
			kinds = append(kinds, k)
		}
	}
	synopsis := ""
	for _, k := range kinds {
		synopsis += fmt.Sprintf("[--%s NAME]... ", k.option)
	}
	cf := newCmdFlags(a, "delete", synopsis,
		`Deletes the objects named, each option repeatable, and reports how many of
each kind went. Names that do not exist are reported and skipped; the exit
status is still 0. Deleting a flag also deletes its time windows and its
WAFFLE_<name> group.`)
	names := make([]stringList, len(kinds))
	for i, k := range kinds {
		cf.Var(&names[i], k.option, "delete the "+k.option+" called NAME (repeatable)")
	}
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	total := 0
	for i, k := range kinds {
		for _, name := range names[i] {
			if err := waffle.ValidateName(k.option, name); err != nil {
				return err
			}
			total++
		}
	}
	if total == 0 {
		return cf.usageErr("give at least one name to delete")
	}
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	var missing []string
	for i, k := range kinds {
		if !cf.set(k.option) {
			continue
		}
		n := 0
		for _, name := range names[i] {
			err := k.delete(s, ctx, name)
			switch {
			case errors.Is(err, waffle.ErrNotFound):
				missing = append(missing, fmt.Sprintf("Not found: %s %q", k.option, name))
			case err != nil:
				return err
			default:
				n++
			}
		}
		a.printf("Deleted %d %s\n", n, k.plural)
	}
	for _, m := range missing {
		a.printf("%s\n", m)
	}
	return nil
}
