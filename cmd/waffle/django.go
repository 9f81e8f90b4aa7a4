package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
)

// Django mode: the command works on a database a Django deployment shares
// (django-waffle's tables, docs/django.md), as waffle.Config.Django does.
// It is --django (before or after the command) or $WAFFLE_DJANGO; Django's
// TIME_ZONE, the calendar of waffle-window's dates, is --django-time-zone or
// $WAFFLE_DJANGO_TIME_ZONE.
const (
	envDjango         = "WAFFLE_DJANGO"
	envDjangoTimeZone = "WAFFLE_DJANGO_TIME_ZONE"
)

// djangoOptions are the Django-mode options of the command line, global or
// of one command.
type djangoOptions struct {
	on       bool
	timeZone string
}

// define adds --django and --django-time-zone to fs.
func (o *djangoOptions) define(fs *flag.FlagSet) {
	fs.BoolVar(&o.on, "django", false, "Django mode: use django-waffle's tables of a database Django migrated (default $"+envDjango+")")
	fs.StringVar(&o.timeZone, "django-time-zone", "", "Django mode: Django's TIME_ZONE, an IANA name such as Europe/Paris (default $"+envDjangoTimeZone+", else UTC)")
}

// setIn reports whether the option name was given in fs.
func setIn(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

// djangoSetting is one Django-mode setting as resolved: its value and
// where it came from, for messages.
type djangoSetting struct {
	value, source string
}

// resolve returns the setting name: the command's option, else the global
// one, else the environment variable env.
func (cf *cmdFlags) resolve(name, env string, cmdValue, globalValue string) djangoSetting {
	switch {
	case cf.set(name):
		return djangoSetting{cmdValue, "--" + name}
	case cf.a.globals != nil && setIn(cf.a.globals, name):
		return djangoSetting{globalValue, "--" + name}
	}
	return djangoSetting{cf.a.getenv(env), "$" + env}
}

// djangoArgs returns the Django-mode options given on the command line
// (the command's or the global ones, not the environment's), each with a
// leading space, for a message that names another command to run.
func (cf *cmdFlags) djangoArgs() string {
	args := ""
	if mode := cf.djangoModeSetting(); mode.source == "--django" {
		if on, err := strconv.ParseBool(mode.value); err == nil && on {
			args += " --django"
		} else {
			args += " --django=" + mode.value
		}
	}
	if tz := cf.djangoTimeZoneSetting(); tz.source == "--django-time-zone" {
		args += " --django-time-zone=" + strings.TrimSpace(tz.value)
	}
	return args
}

// djangoModeSetting is the command's --django, resolved.
func (cf *cmdFlags) djangoModeSetting() djangoSetting {
	return cf.resolve("django", envDjango, strconv.FormatBool(cf.django.on), strconv.FormatBool(cf.a.django.on))
}

// djangoTimeZoneSetting is the command's --django-time-zone, resolved.
func (cf *cmdFlags) djangoTimeZoneSetting() djangoSetting {
	return cf.resolve("django-time-zone", envDjangoTimeZone, cf.django.timeZone, cf.a.django.timeZone)
}

// djangoConfig returns the Config.Django of the command: nil outside Django
// mode. A value it cannot use is a usage error.
func (cf *cmdFlags) djangoConfig() (*waffle.DjangoConfig, error) {
	mode := cf.djangoModeSetting()
	on := false
	if v := strings.TrimSpace(mode.value); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, cf.usageErr("%s=%q: want true or false (1 or 0)", mode.source, mode.value)
		}
		on = b
	}
	tz := cf.djangoTimeZoneSetting()
	name := strings.TrimSpace(tz.value)
	if !on {
		if name != "" {
			return nil, cf.usageErr("%s applies in Django mode only: give --django too (or set %s=1)", tz.source, envDjango)
		}
		return nil, nil
	}
	cfg := &waffle.DjangoConfig{}
	if name != "" {
		if name == "Local" {
			return nil, cf.usageErr("%s: give Django's TIME_ZONE by name (Europe/Paris), not Local", tz.source)
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return nil, cf.usageErr("%s: unknown time zone %q: give Django's TIME_ZONE, an IANA name such as Europe/Paris", tz.source, name)
		}
		cfg.TimeZone = loc
	}
	return cfg, nil
}

// djangoMode reports whether the command runs in Django mode; a bad
// setting is an error.
func (cf *cmdFlags) djangoMode() (bool, error) {
	cfg, err := cf.djangoConfig()
	return cfg != nil, err
}

// migrations returns the versions of dialect in the command's mode: Django
// mode's own tables ([waffle.DjangoMigrations]), or the library's.
func (cf *cmdFlags) migrations(dialect string) ([]waffle.Migration, error) {
	django, err := cf.djangoMode()
	if err != nil {
		return nil, err
	}
	if django {
		return waffle.DjangoMigrations(dialect)
	}
	return waffle.Migrations(dialect)
}

// migrateHint is how to migrate in the command's mode, for messages.
func (cf *cmdFlags) migrateHint() string {
	if django, _ := cf.djangoMode(); django {
		return "waffle --django migrate"
	}
	return "waffle migrate"
}

// djangoHint turns the library's refusal of a database that holds
// django-waffle's tables, which speaks of Config.Django, into one that
// names the command's option. Other errors are returned as they are.
func djangoHint(err error) error {
	var dse *waffle.DjangoSchemaError
	if !errors.As(err, &dse) || dse.Missing {
		return err
	}
	return &scrubbedError{
		msg: fmt.Sprintf("the database holds django-waffle's tables (found %s): give --django (or set %s=1) to share them with Django;"+
			" without it waffle would mix its own tables with Django's (docs/django.md)", dse.Table, envDjango),
		err: err,
	}
}
