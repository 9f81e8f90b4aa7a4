package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gowaffle/waffle"
)

// A settingKind is a kind of named object that holds one value the command
// sets: a switch (on or off) or a sample (a percent). V is the value, R the
// stored object (read with waffle.Load and waffle.List), PR its pointer.
type settingKind[V, R any, PR interface {
	*R
	waffle.Model
}] struct {
	name    string // "switch"
	summary string // for `waffle help`
	about   string // under the synopsis
	value   string // what the second argument is: "state", "percent"
	syntax  string // the second argument in the synopsis: "on|off", "PERCENT"
	needs   string // what --create needs: "a state (on or off)"
	parse   func(string) (V, error)
	show    func(V) string // the value in the report: "on", "12.5%"
	set     func(*waffle.Store, context.Context, string, V) error
	header  []string
	row     func(R) []string
}

func (k *settingKind[V, R, PR]) command() *command {
	return &command{name: k.name, summary: k.summary, run: k.run}
}

// run sets, shows or lists: NAME [VALUE] [--create] | --list [--json].
func (k *settingKind[V, R, PR]) run(ctx context.Context, a *app, args []string) error {
	cf := newCmdFlags(a, k.name, "NAME ["+k.syntax+"] [--create] | --list [--json]", k.about)
	list := cf.Bool("list", false, "list every "+k.name)
	create := cf.Bool("create", false, "create the "+k.name+" when it does not exist")
	asJSON := cf.jsonFlag()
	pos, err := cf.parse(args, 0, 2)
	if err != nil {
		return err
	}
	if *list {
		if len(pos) > 0 || *create {
			return cf.usageErr("--list takes no name, %s or --create", k.value)
		}
		return withStore(ctx, cf, func(s *waffle.Store) error {
			rows, err := waffle.List[R, PR](ctx, s)
			if err != nil {
				return err
			}
			return printList(a, *asJSON, rows, k.header, k.row)
		})
	}
	if len(pos) == 0 {
		return cf.usageErr("give a %s name and a %s, or --list", k.name, k.value)
	}
	name := pos[0]
	var value *V
	if len(pos) == 2 {
		v, err := k.parse(pos[1])
		if err != nil {
			return cf.usageErr("%v", err)
		}
		value = &v
	}
	if *create && value == nil {
		return cf.usageErr("give %s with --create", k.needs)
	}
	if err := waffle.ValidateName(k.name, name); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		r, err := getForChange(a, k.name, name, *create, func() (*R, error) { return waffle.Load[R, PR](ctx, s, name) })
		switch {
		case err != nil:
			return err
		case r != nil && value == nil:
			return printOne(a, *asJSON, r, k.header, k.row)
		}
		if err := k.set(s, ctx, name, *value); err != nil {
			return err
		}
		a.printf("%s %s: %s\n", strings.ToUpper(k.name[:1])+k.name[1:], name, k.show(*value))
		return nil
	})
}

// getForChange returns the object name of kind for a change. When it does
// not exist it returns nil after "Creating ..." if create, else an error.
func getForChange[R any](a *app, kind, name string, create bool, get func() (*R, error)) (*R, error) {
	r, err := get()
	switch {
	case errors.Is(err, waffle.ErrNotFound) && create:
		a.printf("Creating %s: %s\n", kind, name)
		return nil, nil
	case errors.Is(err, waffle.ErrNotFound):
		return nil, fmt.Errorf("%s %q does not exist (add --create to create it)", kind, name)
	}
	return r, err
}
