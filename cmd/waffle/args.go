package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// cmdFlags is a subcommand's options: a flag.FlagSet that also takes
// --database, accepts options after positional arguments, and knows the
// command's usage.
type cmdFlags struct {
	*flag.FlagSet
	a        *app
	name     string // "flag", "migrate status", ...
	synopsis string // after the name: "NAME [options]"
	about    string // a paragraph under the synopsis
	database string
	django   djangoOptions // the command's own --django and --django-time-zone
	json     *bool         // set by jsonFlag
}

func newCmdFlags(a *app, name, synopsis, about string) *cmdFlags {
	fs := flag.NewFlagSet("waffle "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cf := &cmdFlags{FlagSet: fs, a: a, name: name, synopsis: synopsis, about: about}
	fs.StringVar(&cf.database, "database", "", "the database: a SQLite file path or a postgres:// URL (default $"+envDatabase+")")
	cf.django.define(fs)
	return cf
}

// jsonFlag adds --json, for commands that list.
func (cf *cmdFlags) jsonFlag() *bool {
	cf.json = cf.Bool("json", false, "print JSON instead of a table, for scripts")
	return cf.json
}

// parse parses args, options and positional arguments in any order ("--"
// ends the options), and checks that there are between min and max
// positional arguments (max < 0: no limit). -h prints the usage to stdout and
// returns errHelp.
func (cf *cmdFlags) parse(args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := cf.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(cf.a.stdout, cf.usage())
				return nil, errHelp
			}
			return nil, cf.usageErr("%s", err)
		}
		rest := cf.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < min:
		return nil, cf.usageErr("missing arguments: want %s", cf.synopsis)
	case max >= 0 && len(pos) > max:
		return nil, cf.usageErr("too many arguments: %q", pos[max:])
	}
	return pos, nil
}

// isHelp reports whether arg asks for the usage.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

// errHelp is returned after -h printed the usage: the command succeeds
// without doing anything.
var errHelp = errors.New("help printed")

// set reports whether the option name was given on the command line.
func (cf *cmdFlags) set(name string) bool {
	found := false
	cf.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

func (cf *cmdFlags) usageErr(format string, args ...any) error {
	return &usageError{msg: cf.name + ": " + fmt.Sprintf(format, args...), usage: cf.usage()}
}

func (cf *cmdFlags) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", strings.TrimSpace("Usage: waffle "+cf.name+" "+cf.synopsis))
	if cf.about != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(cf.about))
	}
	fmt.Fprint(&b, "\nOptions (before or after the arguments; after --, everything is an argument):\n")
	cf.SetOutput(&b)
	cf.PrintDefaults()
	cf.SetOutput(io.Discard)
	return b.String()
}

// stringList is an option that may be repeated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// parsePercent parses a percent: a decimal number from 0 to 100.
func parsePercent(s string) (float64, error) {
	p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("invalid percent %q: want a number from 0 to 100", s)
	}
	if p < 0 || p > 100 {
		return 0, fmt.Errorf("invalid percent %q: must be from 0 to 100", s)
	}
	return p, nil
}

// formatPercent prints a percent without trailing zeros: 12.5, 100, 0.
func formatPercent(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64)
}

// newCommand returns the command name, whose run gets its options ready to
// define: synopsis and about are its usage.
func newCommand(name, summary, synopsis, about string, run func(ctx context.Context, a *app, cf *cmdFlags, args []string) error) *command {
	return &command{name: name, summary: summary, run: func(ctx context.Context, a *app, args []string) error {
		return run(ctx, a, newCmdFlags(a, name, synopsis, about), args)
	}}
}
