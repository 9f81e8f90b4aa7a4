package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gowaffle/waffle"
)

var groupCommand = &command{
	name:    "group",
	summary: "create and delete groups, add and remove their users, list them",
	run:     runGroup,
}

const groupSynopsis = `create NAME
       waffle group add NAME USER...
       waffle group remove NAME USER...
       waffle group delete NAME
       waffle group list [NAME | --user USER] [--json]`

const groupAbout = `Groups are named sets of user IDs that the library stores. A flag listing a
group (waffle flag NAME --group GROUP) is on for its members. add creates the
group when it does not exist. list shows every group with its number of
members, the members of the group NAME, or the groups of --user USER.
Groups named WAFFLE_<flag> belong to waffle sync, which rebuilds their members
from time windows: they are listed, but cannot be changed here.`

func runGroup(ctx context.Context, a *app, args []string) error {
	return runSubcommand(ctx, a, "group", groupSynopsis, groupAbout, args, []subcommand{
		{"create", groupChange}, {"add", groupChange}, {"remove", groupChange},
		{"delete", groupChange}, {"list", groupList},
	})
}

// groupChange runs create, add, remove and delete: NAME, then the users for
// add and remove.
func groupChange(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	sub := strings.TrimPrefix(cf.name, "group ")
	lo, hi := 1, 1
	if sub == "add" || sub == "remove" {
		lo, hi = 2, -1
	}
	pos, err := cf.parse(args, lo, hi)
	if err != nil {
		return err
	}
	group, users := pos[0], pos[1:]
	return withStore(ctx, cf, func(s *waffle.Store) error {
		var err error
		var done string
		switch sub {
		case "create":
			err, done = s.CreateGroup(ctx, group), fmt.Sprintf("Group %s created", group)
		case "delete":
			err, done = s.DeleteGroup(ctx, group), fmt.Sprintf("Group %s deleted", group)
		case "add":
			err, done = s.AddGroupMembers(ctx, group, users...), fmt.Sprintf("Added %d users to group %s", len(users), group)
		default:
			err, done = s.RemoveGroupMembers(ctx, group, users...), fmt.Sprintf("Removed %d users from group %s", len(users), group)
		}
		if err != nil {
			return err
		}
		a.printf("%s\n", done)
		return nil
	})
}

func groupList(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	user := cf.String("user", "", "list the groups of this user ID")
	asJSON := cf.jsonFlag()
	pos, err := cf.parse(args, 0, 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 && cf.set("user") {
		return cf.usageErr("give a group NAME or --user, not both")
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		switch {
		case len(pos) == 1:
			members, err := s.GroupMembers(ctx, pos[0])
			if err != nil {
				return err
			}
			return printNames(a, "USER", members, *asJSON)
		case cf.set("user"):
			groups, err := s.UserGroups(ctx, *user)
			if err != nil {
				return err
			}
			return printNames(a, "GROUP", groups, *asJSON)
		}
		return listGroups(ctx, a, s, *asJSON)
	})
}

type groupJSON struct {
	waffle.Group
	Members []string `json:"members"`
}

func listGroups(ctx context.Context, a *app, s *waffle.Store, asJSON bool) error {
	groups, err := s.ListGroups(ctx)
	if err != nil {
		return err
	}
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		members, err := s.GroupMembers(ctx, g.Name)
		if errors.Is(err, waffle.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		out = append(out, groupJSON{Group: g, Members: members})
	}
	if asJSON {
		return writeJSON(a.stdout, out)
	}
	t := newTable(a.stdout, "NAME", "MEMBERS", "CREATED")
	for _, g := range out {
		t.row(g.Name, fmt.Sprint(len(g.Members)), formatTime(g.Created))
	}
	return t.flush()
}

// printNames prints a list of names: one per line under a heading, or a JSON
// array.
func printNames(a *app, heading string, names []string, asJSON bool) error {
	return printList(a, asJSON, names, []string{heading}, func(n string) []string { return []string{n} })
}
