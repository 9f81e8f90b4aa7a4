package main

import (
	"context"
	"errors"
	"fmt"

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
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		cf := newCmdFlags(a, "group", groupSynopsis, groupAbout)
		if _, err := cf.parse(args, 0, 0); err != nil {
			return err
		}
		return cf.usageErr("give a subcommand: create, add, remove, delete or list")
	}
	sub, args := args[0], args[1:]
	cf := newCmdFlags(a, "group "+sub, groupSynopsis, groupAbout)
	cf.name = "group " + sub
	switch sub {
	case "create", "delete":
		pos, err := cf.parse(args, 1, 1)
		if err != nil {
			return err
		}
		return withStore(ctx, cf, func(s *waffle.Store) error {
			if sub == "create" {
				if err := s.CreateGroup(ctx, pos[0]); err != nil {
					return err
				}
				a.printf("Group %s created\n", pos[0])
				return nil
			}
			if err := s.DeleteGroup(ctx, pos[0]); err != nil {
				return err
			}
			a.printf("Group %s deleted\n", pos[0])
			return nil
		})
	case "add", "remove":
		pos, err := cf.parse(args, 2, -1)
		if err != nil {
			return err
		}
		group, users := pos[0], pos[1:]
		return withStore(ctx, cf, func(s *waffle.Store) error {
			if sub == "add" {
				if err := s.AddGroupMembers(ctx, group, users...); err != nil {
					return err
				}
				a.printf("Added %d users to group %s\n", len(users), group)
				return nil
			}
			if err := s.RemoveGroupMembers(ctx, group, users...); err != nil {
				return err
			}
			a.printf("Removed %d users from group %s\n", len(users), group)
			return nil
		})
	case "list":
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
	return cf.usageErr("unknown subcommand %q (want create, add, remove, delete or list)", sub)
}

// withStore opens the command's store, runs fn and closes the store.
func withStore(ctx context.Context, cf *cmdFlags, fn func(s *waffle.Store) error) error {
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(s)
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
	if asJSON {
		if names == nil {
			names = []string{}
		}
		return writeJSON(a.stdout, names)
	}
	t := newTable(a.stdout, heading)
	for _, n := range names {
		t.row(n)
	}
	return t.flush()
}
