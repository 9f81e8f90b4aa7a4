package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/gowaffle/waffle"
)

// envDatabase names the environment variable that gives the database when
// --database is not given.
const envDatabase = "WAFFLE_DATABASE_URL"

// app is one run of the command: where it writes, reads and looks up the
// environment. Tests build their own to run commands in-process.
type app struct {
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	getenv func(string) string

	database string        // the global --database, if given
	actor    string        // the global --actor: who makes the changes
	django   djangoOptions // the global --django and --django-time-zone
	globals  *flag.FlagSet // the global options, once parsed
	redact   *redactor     // removes database passwords from stderr and errors
}

// command is one subcommand. Each lives in a file of its own; commands lists
// them.
type command struct {
	name    string
	summary string // one line, for `waffle help`
	run     func(ctx context.Context, a *app, args []string) error
}

// allCommands is every subcommand, in the order `waffle help` lists them.
var allCommands = []*command{
	migrateCommand,
	flagCommand,
	switchCommand,
	sampleCommand,
	deleteCommand,
	groupCommand,
	windowCommand,
	syncCommand,
	historyCommand,
	getCommand,
	setCommand,
	loadJSONCommand,
	dumpJSONCommand,
	versionCommand,
}

// run runs the command line args (without the program name). Errors that
// are the caller's fault are *usageError.
//
// The passwords of the DSNs in args and the environment never reach stderr
// or the error returned: see redactor.
func (a *app) run(ctx context.Context, args []string) error {
	a.redact = newRedactor(append([]string{a.getenv(envDatabase), a.getenv("PGPASSWORD")}, args...)...)
	a.stderr = a.redact.Writer(a.stderr)
	return a.scrub(a.runCommand(ctx, args))
}

// scrub returns err with the passwords removed from its text; errors.Is and
// errors.As still see the original.
func (a *app) scrub(err error) error {
	var ue *usageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return &usageError{msg: a.redact.String(ue.msg), usage: a.redact.String(ue.usage)}
	}
	return &scrubbedError{msg: a.redact.String(err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (a *app) runCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("waffle", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.database, "database", "", "the database: a SQLite file path or a postgres:// URL (default $"+envDatabase+")")
	fs.StringVar(&a.actor, "actor", a.getenv("USER"), "who makes the changes, for the audit trail (default $USER)")
	a.django.define(fs)
	a.globals = fs
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.mainUsage(a.stdout)
			return nil
		}
		return &usageError{msg: err.Error(), usage: a.mainUsageText()}
	}
	if fs.NArg() == 0 {
		return &usageError{msg: "no command given", usage: a.mainUsageText()}
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" {
		return a.help(ctx, rest)
	}
	cmd := lookup(name)
	if cmd == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", name), usage: a.mainUsageText()}
	}
	return helped(cmd.run(a.actorContext(ctx), a, rest))
}

// helped turns the errHelp of a command that printed its usage into success.
func helped(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// commands returns the subcommands that exist.
func commands() []*command {
	var cs []*command
	for _, c := range allCommands {
		if c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// help prints the main usage, or a command's usage (by running it with -h).
func (a *app) help(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.mainUsage(a.stdout)
		return nil
	}
	cmd := lookup(args[0])
	if cmd == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: a.mainUsageText()}
	}
	return helped(cmd.run(ctx, a, []string{"-h"}))
}

func (a *app) mainUsageText() string {
	var b strings.Builder
	a.mainUsage(&b)
	return b.String()
}

func (a *app) mainUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: waffle [--database DB] [--actor NAME] COMMAND [options] [arguments]

waffle manages the feature flags, switches, samples, string flags, groups and
time windows that the waffle library keeps in an application's database.

The database is --database DB (before or after the command) or $`+envDatabase+`:
a SQLite file path (created when missing) or a postgres:// URL. Changes are
recorded in the audit trail as made by --actor NAME (before the command;
default $USER): see "waffle history".

--django (before or after the command; or $`+envDjango+`=1) works on a
database a Django site shares: django-waffle's own tables, and only this
library's own tables beside them (docs/django.md). --django-time-zone ZONE (or
$`+envDjangoTimeZone+`) is Django's TIME_ZONE, the calendar of waffle-window's
dates (default UTC).

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "  %s\t%s\n", "help", "show the usage of waffle or of one command")
	_ = tw.Flush()
	fmt.Fprint(w, `
Run "waffle help COMMAND" for a command's options. Listings take --json.
`)
}

var versionCommand = &command{
	name:    "version",
	summary: "print the version of waffle this command was built from",
	run: func(ctx context.Context, a *app, args []string) error {
		cf := newCmdFlags(a, "version", "", "Prints the module version the command was built from.")
		if _, err := cf.parse(args, 0, 0); err != nil {
			return err
		}
		v := "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		fmt.Fprintln(a.stdout, "waffle", v)
		return nil
	},
}

// usageError is a command line the command cannot run: exit status 2, with
// the usage of the command on stderr.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

// actorContext returns ctx carrying the --actor for the library's audit
// trail.
func (a *app) actorContext(ctx context.Context) context.Context {
	return waffle.WithActor(ctx, a.actor)
}

// exitCode reports err on stderr and returns the exit status: 0 for nil, 2
// for a usage error (the message, then the usage), 1 for anything else (one
// line).
func (a *app) exitCode(err error) int {
	stderr := a.stderr

	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "waffle: %s\n\n%s", oneLine(ue.msg), ue.usage)
		return 2
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "waffle: interrupted")
		return 1
	}
	msg := strings.ReplaceAll(err.Error(), ": waffle: ", ": ")
	fmt.Fprintf(stderr, "waffle: %s\n", oneLine(strings.TrimPrefix(msg, "waffle: ")))
	return 1
}

// oneLine folds a multi-line message (some drivers' errors have several
// lines) into one.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
