package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
)

var flagCommand = &command{
	name:    "flag",
	summary: "create or change a flag (only the fields given), show it, or list flags",
	run:     runFlag,
}

var flagDeleteKind = deleteKind{option: "flag", plural: "Flags", delete: (*waffle.Store).DeleteFlag}

// flagOptions are the flag command's options that change a field.
type flagOptions struct {
	everyone      string
	percent       string
	superusers    bool
	staff         bool
	authenticated bool
	rollout       bool
	testing       bool
	languages     string
	note          string
	users         stringList
	groups        stringList
	removeUsers   stringList
	removeGroups  stringList
	clearUsers    bool
	clearGroups   bool
	appendLists   bool
	ramp          string // FROM:TO, with rampStart and rampEnd
	rampStart     string
	rampEnd       string
	rampSteps     string // T=P,T=P,...
	noRamp        bool
}

func runFlag(ctx context.Context, a *app, args []string) error {
	cf := newCmdFlags(a, "flag", "NAME [options] | --list [--json]",
		`Changes the flag NAME: only the fields given, the others stay as they are
(django-waffle's waffle_flag resets them). Without options it shows the flag.
A flag that does not exist is an error unless --create is given; a new flag
is off for everyone but the rules given (everyone unset, no percent, no user
rules).

  waffle flag checkout --create --percent 12.5 --staff
  waffle flag checkout --everyone on
  waffle flag checkout --user 42 --user 43 --append
  waffle flag checkout --group beta --superusers=false
  waffle flag checkout --ramp 0:100 --ramp-start 2026-12-07T09:00:00Z --ramp-end 2026-12-14
  waffle flag checkout --ramp-steps 2026-12-07=1,2026-12-09=10,2026-12-14=50
  waffle flag checkout --no-ramp

A ramp moves the percent on a schedule: while the flag has one, its percent
at the time of each evaluation replaces --percent (kept, and used again after
--no-ramp). Linear between the points, or in steps; before the first point
its percent, after the last the last one's.`)
	var o flagOptions
	list := cf.Bool("list", false, "list every flag")
	create := cf.Bool("create", false, "create the flag when it does not exist")
	asJSON := cf.jsonFlag()
	cf.StringVar(&o.everyone, "everyone", "", "on (for every request), off (for every request, absolute) or unset (the other rules decide)")
	cf.StringVar(&o.percent, "percent", "", "on for this percent of users and visitors: 0 to 100, decimals allowed (0 to 99.9, one decimal, with --django), or unset")
	cf.BoolVar(&o.superusers, "superusers", false, "on for superusers (--superusers=false to turn off)")
	cf.BoolVar(&o.staff, "staff", false, "on for staff (--staff=false to turn off)")
	cf.BoolVar(&o.authenticated, "authenticated", false, "on for authenticated users (--authenticated=false to turn off)")
	cf.BoolVar(&o.rollout, "rollout", false, "rollout mode: an off percent cookie lasts the browser session")
	cf.BoolVar(&o.testing, "testing", false, "testing mode: the dwft_NAME query parameter, header or cookie decides")
	cf.StringVar(&o.languages, "languages", "", `on for these languages, comma-separated ("en,fr"); "" for none`)
	cf.StringVar(&o.note, "note", "", "a note about the flag")
	cf.Var(&o.users, "user", "on for this user ID (repeatable); replaces the flag's users unless --append")
	cf.Var(&o.groups, "group", "on for the members of this group (repeatable; created when missing); replaces the flag's groups unless --append")
	cf.BoolVar(&o.appendLists, "append", false, "with --user and --group: add to the flag's users and groups instead of replacing them")
	cf.Var(&o.removeUsers, "remove-user", "take this user ID off the flag (repeatable)")
	cf.Var(&o.removeGroups, "remove-group", "take this group off the flag (repeatable)")
	cf.BoolVar(&o.clearUsers, "clear-users", false, "take every user off the flag")
	cf.BoolVar(&o.clearGroups, "clear-groups", false, "take every group off the flag (the WAFFLE_NAME group of time windows stays)")
	cf.StringVar(&o.ramp, "ramp", "", "a linear ramp FROM:TO percent (\"0:100\"), from --ramp-start to --ramp-end")
	cf.StringVar(&o.rampStart, "ramp-start", "", "with --ramp: when the ramp starts (RFC 3339, or a date: midnight UTC)")
	cf.StringVar(&o.rampEnd, "ramp-end", "", "with --ramp: when the ramp ends (RFC 3339, or a date: midnight UTC)")
	cf.StringVar(&o.rampSteps, "ramp-steps", "", "a ramp in steps: TIME=PERCENT,... in time order (\"2026-12-07=1,2026-12-09=10\")")
	cf.BoolVar(&o.noRamp, "no-ramp", false, "clear the ramp (the flag's percent applies again)")
	pos, err := cf.parse(args, 0, 1)
	if err != nil {
		return err
	}
	changes := 0
	cf.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "list", "create", "json", "database", "append", "django", "django-time-zone":
		default:
			changes++
		}
	})
	if *list {
		if len(pos) > 0 || *create || changes > 0 || cf.set("append") {
			return cf.usageErr("--list takes no name and no other option but --json")
		}
		return withStore(ctx, cf, func(s *waffle.Store) error {
			flags, err := s.ListFlags(ctx)
			if err != nil {
				return err
			}
			return printList(a, *asJSON, flags, flagHeader, flagRow)
		})
	}
	if len(pos) == 0 {
		return cf.usageErr("give a flag name, or --list")
	}
	name := pos[0]
	apply, err := o.changes(cf)
	if err != nil {
		return err
	}
	if err := waffle.ValidateName("flag", name); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		f, err := getForChange(a, "flag", name, *create, func() (*waffle.Flag, error) { return s.GetFlag(ctx, name) })
		switch {
		case err != nil:
			return err
		case f == nil:
			f = &waffle.Flag{Name: name}
		case changes == 0 && *asJSON:
			return writeJSON(a.stdout, f)
		case changes == 0:
			return flagDetail(a, f)
		}
		for _, c := range apply {
			a.printf("Setting %s\n", c(f))
		}
		return s.SaveFlag(ctx, f)
	})
}

// A flagChange makes one change to a flag and returns what it set, for the
// report ("percent: 12.5").
type flagChange func(*waffle.Flag) string

// changes checks the options given and returns the changes they make, in a
// fixed order: the fields, the ramp, the users, the groups.
func (o *flagOptions) changes(cf *cmdFlags) ([]flagChange, error) {
	out, err := o.fieldChanges(cf)
	if err != nil {
		return nil, err
	}
	if err := o.checkLists(cf); err != nil {
		return nil, err
	}
	ramp, err := o.rampChange(cf)
	if err != nil {
		return nil, err
	}
	if ramp != nil {
		out = append(out, ramp)
	}
	return append(out, o.listChanges(cf)...), nil
}

// fieldChanges returns the changes of the options given that each set one
// field, in the order of the table.
func (o *flagOptions) fieldChanges(cf *cmdFlags) ([]flagChange, error) {
	var out []flagChange
	for _, opt := range []struct {
		name   string
		change func() (flagChange, error)
	}{
		{"everyone", o.everyoneChange},
		{"percent", o.percentChange},
		{"superusers", boolChange("superusers", o.superusers, func(f *waffle.Flag) *bool { return &f.Superusers })},
		{"staff", boolChange("staff", o.staff, func(f *waffle.Flag) *bool { return &f.Staff })},
		{"authenticated", boolChange("authenticated", o.authenticated, func(f *waffle.Flag) *bool { return &f.Authenticated })},
		{"rollout", boolChange("rollout", o.rollout, func(f *waffle.Flag) *bool { return &f.Rollout })},
		{"testing", boolChange("testing", o.testing, func(f *waffle.Flag) *bool { return &f.Testing })},
		{"languages", o.languagesChange},
		{"note", o.noteChange},
	} {
		if !cf.set(opt.name) {
			continue
		}
		c, err := opt.change()
		if err != nil {
			return nil, cf.usageErr("%v", err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (o *flagOptions) everyoneChange() (flagChange, error) {
	var v *bool
	switch o.everyone {
	case "on":
		v = new(true)
	case "off":
		v = new(false)
	case "unset":
	default:
		return nil, fmt.Errorf("invalid --everyone %q (want on, off or unset)", o.everyone)
	}
	return func(f *waffle.Flag) string {
		f.Everyone = v
		return "everyone: " + triState(v)
	}, nil
}

func (o *flagOptions) percentChange() (flagChange, error) {
	var v *float64
	if o.percent != "unset" {
		p, err := parsePercent(o.percent)
		if err != nil {
			return nil, fmt.Errorf("%w (or unset)", err)
		}
		v = &p
	}
	return func(f *waffle.Flag) string {
		f.Percent = v
		return "percent: " + percentText(v)
	}, nil
}

// boolChange returns the change of a boolean option: the field that field
// points to in the flag is set to v.
func boolChange(name string, v bool, field func(*waffle.Flag) *bool) func() (flagChange, error) {
	return func() (flagChange, error) {
		return func(f *waffle.Flag) string {
			*field(f) = v
			return fmt.Sprintf("%s: %v", name, v)
		}, nil
	}
}

func (o *flagOptions) languagesChange() (flagChange, error) {
	var langs waffle.LanguageList
	for l := range strings.SplitSeq(o.languages, ",") {
		if l = strings.TrimSpace(l); l != "" {
			langs = append(langs, l)
		}
	}
	return func(f *waffle.Flag) string {
		f.Languages = langs
		return "languages: " + listText(langs)
	}, nil
}

func (o *flagOptions) noteChange() (flagChange, error) {
	return func(f *waffle.Flag) string {
		f.Note = o.note
		return fmt.Sprintf("note: %q", o.note)
	}, nil
}

// checkLists checks the options that change the users and groups go
// together, and that no group given is one `waffle sync` keeps.
func (o *flagOptions) checkLists(cf *cmdFlags) error {
	if o.appendLists && !cf.set("user") && !cf.set("group") {
		return cf.usageErr("--append goes with --user or --group")
	}
	if o.clearUsers && (cf.set("user") || cf.set("remove-user")) {
		return cf.usageErr("--clear-users goes without --user and --remove-user")
	}
	if o.clearGroups && (cf.set("group") || cf.set("remove-group")) {
		return cf.usageErr("--clear-groups goes without --group and --remove-group")
	}
	for _, g := range slices.Concat(o.groups, o.removeGroups) {
		if strings.HasPrefix(g, "WAFFLE_") {
			return fmt.Errorf("group %q: the WAFFLE_ prefix is reserved for the groups `waffle sync` keeps", g)
		}
	}
	return nil
}

// listChanges returns the changes to the users and the groups, when options
// for them are given. The groups `waffle sync` keeps (WAFFLE_) stay attached.
func (o *flagOptions) listChanges(cf *cmdFlags) []flagChange {
	var out []flagChange
	if cf.set("user") || cf.set("remove-user") || o.clearUsers {
		out = append(out, func(f *waffle.Flag) string {
			f.Users = changeList(f.Users, o.users, o.removeUsers, o.appendLists || !cf.set("user"), o.clearUsers)
			return "users: " + listText(f.Users)
		})
	}
	if cf.set("group") || cf.set("remove-group") || o.clearGroups {
		out = append(out, func(f *waffle.Flag) string {
			isSync := func(g string) bool { return strings.HasPrefix(g, "WAFFLE_") }
			var sync []string
			for _, g := range f.Groups {
				if isSync(g) {
					sync = append(sync, g)
				}
			}
			own := slices.DeleteFunc(slices.Clone(f.Groups), isSync)
			f.Groups = changeList(own, o.groups, o.removeGroups, o.appendLists || !cf.set("group"), o.clearGroups)
			text := "groups: " + listText(f.Groups)
			f.Groups = append(f.Groups, sync...)
			return text
		})
	}
	return out
}

// rampChange checks the ramp options and returns the change they make, or
// nil when none is given. The library validates the ramp itself (order of
// the instants): a *ValueError when the flag is saved.
func (o *flagOptions) rampChange(cf *cmdFlags) (flagChange, error) {
	linear := cf.set("ramp") || cf.set("ramp-start") || cf.set("ramp-end")
	given := 0
	for _, set := range []bool{linear, cf.set("ramp-steps"), o.noRamp} {
		if set {
			given++
		}
	}
	if given == 0 {
		return nil, nil
	}
	if given > 1 {
		return nil, cf.usageErr("give one of --ramp (with --ramp-start and --ramp-end), --ramp-steps and --no-ramp")
	}
	var r *waffle.Ramp // nil for --no-ramp
	var err error
	switch {
	case linear:
		r, err = o.linearRamp(cf)
	case cf.set("ramp-steps"):
		r, err = o.stepsRamp(cf)
	}
	if err != nil {
		return nil, err
	}
	return func(f *waffle.Flag) string {
		f.Ramp = r
		return "ramp: " + rampText(r)
	}, nil
}

// linearRamp reads --ramp FROM:TO, --ramp-start and --ramp-end.
func (o *flagOptions) linearRamp(cf *cmdFlags) (*waffle.Ramp, error) {
	if !cf.set("ramp") || !cf.set("ramp-start") || !cf.set("ramp-end") {
		return nil, cf.usageErr("--ramp, --ramp-start and --ramp-end go together")
	}
	fromText, toText, ok := strings.Cut(o.ramp, ":")
	if !ok {
		return nil, cf.usageErr("invalid --ramp %q: want FROM:TO percents, such as 0:100", o.ramp)
	}
	from, err := parsePercent(fromText)
	if err != nil {
		return nil, cf.usageErr("--ramp: %v", err)
	}
	to, err := parsePercent(toText)
	if err != nil {
		return nil, cf.usageErr("--ramp: %v", err)
	}
	start, err := parseTime(o.rampStart)
	if err != nil {
		return nil, cf.usageErr("--ramp-start: %v", err)
	}
	end, err := parseTime(o.rampEnd)
	if err != nil {
		return nil, cf.usageErr("--ramp-end: %v", err)
	}
	return waffle.LinearRamp(start, end, from, to), nil
}

// stepsRamp reads --ramp-steps TIME=PERCENT,...
func (o *flagOptions) stepsRamp(cf *cmdFlags) (*waffle.Ramp, error) {
	r := &waffle.Ramp{Mode: waffle.RampSteps}
	for step := range strings.SplitSeq(o.rampSteps, ",") {
		at, pct, ok := strings.Cut(strings.TrimSpace(step), "=")
		if !ok {
			return nil, cf.usageErr("invalid --ramp-steps step %q: want TIME=PERCENT", step)
		}
		t, err := parseTime(strings.TrimSpace(at))
		if err != nil {
			return nil, cf.usageErr("--ramp-steps: %v", err)
		}
		p, err := parsePercent(pct)
		if err != nil {
			return nil, cf.usageErr("--ramp-steps: %v", err)
		}
		r.Points = append(r.Points, waffle.RampPoint{At: t, Percent: p})
	}
	return r, nil
}

// rampText describes a ramp on one line: "linear 0% at T, 100% at T".
func rampText(r *waffle.Ramp) string {
	if r == nil {
		return "none"
	}
	mode := r.Mode
	if mode == "" {
		mode = waffle.RampLinear
	}
	var b strings.Builder
	b.WriteString(string(mode))
	for i, p := range r.Points {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s%% at %s", formatPercent(p.Percent), formatInstant(p.At))
	}
	return b.String()
}

// changeList returns list with add appended (keep) or instead of it, remove
// taken off, without duplicates, sorted.
func changeList(list, add, remove []string, keep, clear bool) []string {
	var out []string
	if keep && !clear {
		out = append(out, list...)
	}
	out = append(out, add...)
	out = slices.DeleteFunc(out, func(v string) bool { return slices.Contains(remove, v) })
	slices.Sort(out)
	return slices.Compact(out)
}

func triState(v *bool) string {
	switch {
	case v == nil:
		return "unset"
	case *v:
		return "on"
	}
	return "off"
}

func percentText(p *float64) string {
	if p == nil {
		return "unset"
	}
	return formatPercent(*p)
}

func listText(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}

// rules lists a flag's boolean rules that are on.
func rules(f *waffle.Flag) string {
	var r []string
	for _, b := range []struct {
		name string
		on   bool
	}{
		{"superusers", f.Superusers}, {"staff", f.Staff}, {"authenticated", f.Authenticated},
		{"testing", f.Testing}, {"rollout", f.Rollout},
	} {
		if b.on {
			r = append(r, b.name)
		}
	}
	if len(r) == 0 {
		return "-"
	}
	return strings.Join(r, ",")
}

var flagHeader = []string{"NAME", "EVERYONE", "PERCENT", "RULES", "LANGUAGES", "USERS", "GROUPS", "MODIFIED"}

func flagRow(f waffle.Flag) []string {
	langs := strings.Join(f.Languages, ",")
	if langs == "" {
		langs = "-"
	}
	groups := strings.Join(f.Groups, ",")
	if groups == "" {
		groups = "-"
	}
	return []string{f.Name, triState(f.Everyone), percentText(f.Percent), rules(&f), langs,
		fmt.Sprint(len(f.Users)), groups, formatTime(f.Modified)}
}

func flagDetail(a *app, f *waffle.Flag) error {
	t := newTable(a.stdout, "name:", f.Name)
	t.row("everyone:", triState(f.Everyone))
	t.row("percent:", percentText(f.Percent))
	t.row("ramp:", rampText(f.Ramp))
	if f.Ramp != nil {
		now := time.Now()
		p, _ := f.EffectivePercent(now)
		t.row("ramp now:", formatPercent(math.Round(p*1000)/1000)+" (the percent while the ramp is set)")
	}
	t.row("superusers:", fmt.Sprint(f.Superusers))
	t.row("staff:", fmt.Sprint(f.Staff))
	t.row("authenticated:", fmt.Sprint(f.Authenticated))
	t.row("testing:", fmt.Sprint(f.Testing))
	t.row("rollout:", fmt.Sprint(f.Rollout))
	t.row("languages:", listText(f.Languages))
	t.row("users:", listText(f.Users))
	t.row("groups:", listText(f.Groups))
	t.row("note:", f.Note)
	t.row("created:", formatTime(f.Created))
	t.row("modified:", formatTime(f.Modified))
	return t.flush()
}
