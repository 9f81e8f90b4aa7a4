package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gowaffle/waffle"
)

var migrateCommand = &command{
	name:    "migrate",
	summary: "apply (up) or revert (down) the schema's versions, show their status, print or export their SQL",
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
	case "down":
		return migrateDown(ctx, a, args)
	case "status":
		return migrateStatus(ctx, a, args)
	case "sql":
		return migrateSQL(a, args)
	case "export":
		return migrateExport(a, args)
	}
	cf := newMigrateFlags(a, "")
	return cf.usageErr("unknown subcommand %q (want up, down, status, sql or export)", sub)
}

func newMigrateFlags(a *app, sub string) *cmdFlags {
	const about = `migrate [up] applies the versions the database lacks (up to --to N), each in
its own transaction, safe from several processes at once; it reports what this
process applied. migrate down --to N reverts the versions above N, dropping
their tables and data (--to 0 removes the whole schema). migrate status lists
the versions; migrate sql prints the whole schema as one idempotent script, or
one step with --version N [--down]; migrate export writes the versions as files
for goose or golang-migrate. See docs/migrations.md.`
	name := "migrate"
	if sub != "" {
		name += " " + sub
	}
	return newCmdFlags(a, name, map[string]string{
		"":       "[up [--to N] | down --to N | status [--json] | sql [--version N [--down]] | export --format F --dir DIR]",
		"up":     "[--to N]",
		"down":   "--to N",
		"status": "[--json]",
		"sql":    "[--dialect postgres|sqlite] [--version N [--down]]",
		"export": "--format goose|golang-migrate --dir DIR [--dialect postgres|sqlite]",
	}[sub], about)
}

func migrateUp(ctx context.Context, a *app, args []string) error {
	cf := newMigrateFlags(a, "up")
	to := cf.Int("to", 0, "the version to stop at (default: the newest)")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	if cf.set("to") && *to < 1 {
		return cf.usageErr("--to must be a version, 1 or more (to revert, use migrate down)")
	}
	res, ms, err := moveSchema(ctx, cf, (*waffle.Store).MigrateUp, *to)
	if err != nil {
		return err
	}
	for _, v := range res.Versions {
		a.printf("Applied version %d: %s\n", v.Version, v.Name)
	}
	if len(res.Versions) == 0 {
		if res.Current >= len(ms) {
			a.printf("The schema is up to date (version %d).\n", res.Current)
		} else {
			a.printf("Nothing to apply: the schema is at version %d.\n", res.Current)
		}
	}
	return nil
}

// moveSchema opens the database, moves its schema with move
// (Store.MigrateUp or Store.MigrateDown) to version to, and returns what it
// did and the versions of the database's dialect.
func moveSchema(ctx context.Context, cf *cmdFlags, move func(*waffle.Store, context.Context, int) (*waffle.MigrateResult, error), to int) (*waffle.MigrateResult, []waffle.Migration, error) {
	s, closeDB, err := cf.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer closeDB()
	res, err := move(s, ctx, to)
	if err != nil {
		return nil, nil, djangoHint(err)
	}
	ms, err := cf.migrations(s.Dialect())
	return res, ms, err
}

func migrateDown(ctx context.Context, a *app, args []string) error {
	cf := newMigrateFlags(a, "down")
	to := cf.Int("to", -1, "the version to go down to, required: 0 removes the whole schema")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	if !cf.set("to") {
		d := "sqlite"
		if isPostgres(cf.target()) {
			d = "postgres"
		}
		ms, err := cf.migrations(d)
		if err != nil {
			return err
		}
		return cf.usageErr("give --to N, the version to go down to: reverting drops each newer version's tables and their data (--to 0 drops %s)",
			strings.Join(droppedBy(ms...), ", "))
	}
	res, ms, err := moveSchema(ctx, cf, (*waffle.Store).MigrateDown, *to)
	if err != nil {
		return err
	}
	for _, v := range res.Versions {
		a.printf("Reverted version %d: %s (dropped %s)\n", v.Version, v.Name, strings.Join(droppedBy(ms[v.Version-1]), ", "))
	}
	if len(res.Versions) == 0 {
		a.printf("Nothing to revert: the schema is at version %d.\n", res.Current)
	}
	return nil
}

var (
	dropped       = regexp.MustCompile(`(?m)^\s*DROP (TABLE|VIEW|FUNCTION|INDEX|TRIGGER) IF EXISTS (\w+)`)
	droppedColumn = regexp.MustCompile(`(?m)^\s*ALTER TABLE (\w+) DROP COLUMN (?:IF EXISTS )?(\w+)`)
)

// droppedBy lists the objects the down SQL of ms drops, newest version
// first.
func droppedBy(ms ...waffle.Migration) []string {
	var out []string
	for i := len(ms) - 1; i >= 0; i-- {
		for _, m := range dropped.FindAllStringSubmatch(ms[i].Down, -1) {
			if strings.EqualFold(m[1], "TABLE") {
				out = append(out, m[2])
			} else {
				out = append(out, strings.ToLower(m[1])+" "+m[2])
			}
		}
		for _, m := range droppedColumn.FindAllStringSubmatch(ms[i].Down, -1) {
			out = append(out, "column "+m[1]+"."+m[2])
		}
	}
	return out
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
	version := cf.Int("version", 0, "print only this version's SQL (default: the whole schema as one script)")
	down := cf.Bool("down", false, "with --version: print the SQL that reverts the version")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	d, err := migrateDialect(cf, *dialect)
	if err != nil {
		return err
	}
	django, err := cf.djangoMode()
	if err != nil {
		return err
	}
	if !cf.set("version") {
		if *down {
			return cf.usageErr("--down needs --version N")
		}
		if django {
			return cf.usageErr("in Django mode give --version N: Django mode's versions are applied one by one by migrate up, which first checks Django's tables")
		}
		script, err := waffle.MigrationScript(d)
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(a.stdout, script)
		return err
	}
	ms, err := cf.migrations(d)
	if err != nil {
		return err
	}
	if *version < 1 || *version > len(ms) {
		return cf.usageErr("no version %d (the %s schema has versions 1 to %d)", *version, d, len(ms))
	}
	m := ms[*version-1]
	if *down {
		_, err = fmt.Fprint(a.stdout, m.Down)
	} else {
		_, err = fmt.Fprint(a.stdout, m.Up)
	}
	return err
}

func migrateExport(a *app, args []string) error {
	cf := newMigrateFlags(a, "export")
	dialect := cf.String("dialect", "", "postgres or sqlite (default: the dialect of --database)")
	format := cf.String("format", "", "goose or golang-migrate (required)")
	dir := cf.String("dir", "", "the directory to write the files to, created if missing (required)")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	f := waffle.MigrationFormat(*format)
	if f != waffle.MigrationFormatGoose && f != waffle.MigrationFormatGolangMigrate {
		return cf.usageErr("give --format goose or --format golang-migrate")
	}
	if *dir == "" {
		return cf.usageErr("give --dir DIR, the directory to write the files to")
	}
	if django, err := cf.djangoMode(); err != nil {
		return err
	} else if django {
		return cf.usageErr("not in Django mode: run `waffle --django migrate up`, which first checks that Django's tables are there")
	}
	d, err := migrateDialect(cf, *dialect)
	if err != nil {
		return err
	}
	files, err := waffle.MigrationFiles(d, f)
	if err != nil {
		return err
	}
	// Check every file before writing any: an export never leaves half its
	// files, nor overwrites a file that says something else.
	for _, file := range files {
		old, err := os.ReadFile(filepath.Join(*dir, file.Name))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return err
		case string(old) != file.Content:
			return fmt.Errorf("%s exists and differs from waffle's version %s: remove it first", filepath.Join(*dir, file.Name), file.Name)
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	for _, file := range files {
		path := filepath.Join(*dir, file.Name)
		if err := os.WriteFile(path, []byte(file.Content), 0o644); err != nil {
			return err
		}
		a.printf("Wrote %s\n", path)
	}
	return nil
}

// migrateDialect is the dialect given, or else the one of --database.
func migrateDialect(cf *cmdFlags, given string) (string, error) {
	d := given
	if d == "" {
		switch target := cf.target(); {
		case target == "":
			return "", cf.usageErr("give --dialect postgres|sqlite, or a --database to take it from")
		case isPostgres(target):
			d = "postgres"
		default:
			d = "sqlite"
		}
	}
	if d != "postgres" && d != "sqlite" {
		return "", cf.usageErr("unknown dialect %q (want postgres or sqlite)", d)
	}
	return d, nil
}
