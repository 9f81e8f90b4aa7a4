package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/dbopen"
)

var migrateCommand = &command{
	name:    "migrate",
	summary: "create or upgrade the schema (up), show its status, or print its SQL",
	run:     runMigrate,
}

func runMigrate(ctx context.Context, a *app, args []string) error {
	sub := "up"
	switch {
	case len(args) > 0 && isHelp(args[0]):
		_, err := newMigrateFlags(a, "").parse(args, 0, 0)
		return err
	case len(args) > 0 && args[0] != "" && args[0][0] != '-':
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "up":
		return migrateUp(ctx, a, args)
	case "status":
		return migrateStatus(ctx, a, args)
	case "sql":
		return migrateSQL(a, args)
	}
	cf := newMigrateFlags(a, "")
	return cf.usageErr("unknown subcommand %q (want up, status or sql)", sub)
}

func newMigrateFlags(a *app, sub string) *cmdFlags {
	const about = `migrate [up] applies every migration the database lacks (idempotent, safe
from several processes at once); migrate status lists them; migrate sql prints
the whole schema as one idempotent SQL script (with the version table) for
teams that run their own migration tool.`
	name := "migrate"
	if sub != "" {
		name += " " + sub
	}
	return newCmdFlags(a, name, map[string]string{
		"":       "[up | status [--json] | sql [--dialect postgres|sqlite]]",
		"up":     "",
		"status": "[--json]",
		"sql":    "[--dialect postgres|sqlite]",
	}[sub], about)
}

func migrateUp(ctx context.Context, a *app, args []string) error {
	cf := newMigrateFlags(a, "up")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	s, closeDB, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	before, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	n := 0
	for _, m := range before {
		if !m.Applied {
			a.printf("Applied version %d: %s\n", m.Version, m.Name)
			n++
		}
	}
	if n == 0 {
		a.printf("The schema is up to date (version %d).\n", len(before))
	}
	return nil
}

type migrationJSON struct {
	Version   int     `json:"version"`
	Name      string  `json:"name"`
	Applied   bool    `json:"applied"`
	AppliedAt *string `json:"applied_at"`
}

func migrateStatus(ctx context.Context, a *app, args []string) error {
	cf := newMigrateFlags(a, "status")
	asJSON := cf.jsonFlag()
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	s, closeDB, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	status, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]migrationJSON, len(status))
		for i, m := range status {
			out[i] = migrationJSON{Version: m.Version, Name: m.Name, Applied: m.Applied}
			if m.Applied {
				at := m.AppliedAt.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
				out[i].AppliedAt = &at
			}
		}
		return writeJSON(a.stdout, out)
	}
	t := newTable(a.stdout, "VERSION", "NAME", "APPLIED")
	for _, m := range status {
		applied := "no"
		if m.Applied {
			applied = formatTime(m.AppliedAt)
		}
		t.row(strconv.Itoa(m.Version), m.Name, applied)
	}
	return t.flush()
}

func migrateSQL(a *app, args []string) error {
	cf := newMigrateFlags(a, "sql")
	dialect := cf.String("dialect", "", "postgres or sqlite (default: the dialect of --database)")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	d := *dialect
	if d == "" {
		switch target := cf.target(); {
		case target == "":
			return cf.usageErr("give --dialect postgres|sqlite, or a --database to take it from")
		case dbopen.IsPostgres(target):
			d = "postgres"
		default:
			d = "sqlite"
		}
	}
	if d != "postgres" && d != "sqlite" {
		return cf.usageErr("unknown dialect %q (want postgres or sqlite)", d)
	}
	script, err := waffle.MigrationScript(d)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(a.stdout, script)
	return err
}
