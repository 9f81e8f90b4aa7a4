package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestFlagCreate(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Equal(t, `waffle: flag "checkout" does not exist (add --create to create it)`, c.fails(1, "flag", "checkout", "--staff"))
		_, err := c.s.GetFlag(ctx, "checkout")
		require.ErrorIs(t, err, waffle.ErrNotFound)

		out := c.ok("flag", "checkout", "--create", "--percent", "12.5", "--staff", "--testing",
			"--languages", "en, fr", "--user", "42", "--user", "7", "--group", "beta", "--note", "new checkout")
		require.Equal(t, `Creating flag: checkout
Setting percent: 12.5
Setting staff: true
Setting testing: true
Setting languages: en, fr
Setting note: "new checkout"
Setting users: 42, 7
Setting groups: beta
`, out)
		f, err := c.s.GetFlag(ctx, "checkout")
		require.NoError(t, err)
		require.Nil(t, f.Everyone, "everyone stays unset")
		require.Equal(t, 12.5, *f.Percent)
		require.True(t, f.Staff)
		require.True(t, f.Testing)
		require.False(t, f.Superusers, "no superusers by default (unlike django-waffle)")
		require.False(t, f.Authenticated)
		require.False(t, f.Rollout)
		require.Equal(t, waffle.LanguageList{"en", "fr"}, f.Languages)
		require.Equal(t, []string{"42", "7"}, f.Users)
		require.Equal(t, []string{"beta"}, f.Groups)
		require.Equal(t, "new checkout", f.Note)

		// The flag works: staff and user 42 have it.
		on, err := c.s.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "1", Staff: true}), "checkout")
		require.NoError(t, err)
		require.True(t, on)

		// A bare --create makes a flag with nothing on.
		require.Equal(t, "Creating flag: bare\n", c.ok("flag", "bare", "--create"))
		f, err = c.s.GetFlag(ctx, "bare")
		require.NoError(t, err)
		require.Nil(t, f.Everyone)
		require.Nil(t, f.Percent)
		require.Empty(t, f.Users)
	})
}

// Every option changes its field and nothing else (django-waffle's command
// resets the fields not given).
func TestFlagChangesOnlyFieldsGiven(t *testing.T) {
	t.Parallel()
	base := func() *waffle.Flag {
		return &waffle.Flag{
			Name: "f", Everyone: nil, Percent: new(30.0), Testing: true, Superusers: true, Staff: true,
			Authenticated: true, Languages: waffle.LanguageList{"en"}, Rollout: true, Note: "n",
			Users: []string{"u1", "u2"}, Groups: []string{"g1", "g2"},
		}
	}
	for _, tc := range []struct {
		name   string
		args   []string
		change func(f *waffle.Flag)
	}{
		{"EveryoneOn", []string{"--everyone", "on"}, func(f *waffle.Flag) { f.Everyone = new(true) }},
		{"EveryoneOff", []string{"--everyone=off"}, func(f *waffle.Flag) { f.Everyone = new(false) }},
		{"EveryoneUnset", []string{"--everyone", "unset"}, func(f *waffle.Flag) {}},
		{"Percent", []string{"--percent", "0.5"}, func(f *waffle.Flag) { f.Percent = new(0.5) }},
		{"PercentZero", []string{"--percent", "0"}, func(f *waffle.Flag) { f.Percent = new(0.0) }},
		{"Percent100", []string{"--percent", "100"}, func(f *waffle.Flag) { f.Percent = new(100.0) }},
		{"PercentUnset", []string{"--percent", "unset"}, func(f *waffle.Flag) { f.Percent = nil }},
		{"SuperusersOff", []string{"--superusers=false"}, func(f *waffle.Flag) { f.Superusers = false }},
		{"StaffOff", []string{"--staff=false"}, func(f *waffle.Flag) { f.Staff = false }},
		{"AuthenticatedOff", []string{"--authenticated=false"}, func(f *waffle.Flag) { f.Authenticated = false }},
		{"RolloutOff", []string{"--rollout=false"}, func(f *waffle.Flag) { f.Rollout = false }},
		{"TestingOff", []string{"--testing=false"}, func(f *waffle.Flag) { f.Testing = false }},
		{"Languages", []string{"--languages", "de,fr-ca"}, func(f *waffle.Flag) { f.Languages = waffle.LanguageList{"de", "fr-ca"} }},
		{"LanguagesNone", []string{"--languages", ""}, func(f *waffle.Flag) { f.Languages = waffle.LanguageList{} }},
		{"Note", []string{"--note", "line\nbreak"}, func(f *waffle.Flag) { f.Note = "line\nbreak" }},
		{"NoteEmpty", []string{"--note="}, func(f *waffle.Flag) { f.Note = "" }},
		{"UsersReplace", []string{"--user", "u3"}, func(f *waffle.Flag) { f.Users = []string{"u3"} }},
		{"UsersAppend", []string{"--user", "u3", "--user", "u1", "--append"}, func(f *waffle.Flag) { f.Users = []string{"u1", "u2", "u3"} }},
		{"UsersRemove", []string{"--remove-user", "u1", "--remove-user", "nobody"}, func(f *waffle.Flag) { f.Users = []string{"u2"} }},
		{"UsersClear", []string{"--clear-users"}, func(f *waffle.Flag) { f.Users = []string{} }},
		{"GroupsReplace", []string{"--group", "g3"}, func(f *waffle.Flag) { f.Groups = []string{"g3"} }},
		{"GroupsAppend", []string{"--group", "g3", "--append"}, func(f *waffle.Flag) { f.Groups = []string{"g1", "g2", "g3"} }},
		{"GroupsRemove", []string{"--remove-group", "g2"}, func(f *waffle.Flag) { f.Groups = []string{"g1"} }},
		{"GroupsClear", []string{"--clear-groups"}, func(f *waffle.Flag) { f.Groups = []string{} }},
		{"Ramp", []string{"--ramp", "5:50", "--ramp-start", "2026-12-07", "--ramp-end", "2026-12-08"}, func(f *waffle.Flag) {
			f.Ramp = waffle.LinearRamp(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), 5, 50)
		}},
		{"RampSteps", []string{"--ramp-steps", "2026-12-07=5"}, func(f *waffle.Flag) {
			f.Ramp = &waffle.Ramp{Mode: waffle.RampSteps, Points: []waffle.RampPoint{{At: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Percent: 5}}}
		}},
		{"Several", []string{"--staff=false", "--everyone", "off", "--user", "u9", "--append"}, func(f *waffle.Flag) {
			f.Staff, f.Everyone, f.Users = false, new(false), []string{"u1", "u2", "u9"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, c *cli) {
				require.NoError(t, c.s.SaveFlag(ctx, base()))
				c.ok(append([]string{"flag", "f"}, tc.args...)...)
				want := base()
				tc.change(want)
				got, err := c.s.GetFlag(ctx, "f")
				require.NoError(t, err)
				requireSameFlag(t, want, got)
			})
		})
	}
}

// The WAFFLE_ group that sync keeps stays attached when the flag's groups
// are replaced or cleared.
func TestFlagGroupsKeepSyncGroup(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("flag", "f", "--create", "--group", "g1")
		c.ok("window", "add", "f", "u1", "--start", "2020-01-01")
		c.ok("sync", "f")
		c.ok("flag", "f", "--group", "g2")
		f, err := c.s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"WAFFLE_f", "g2"}, f.Groups)
		c.ok("flag", "f", "--clear-groups")
		f, err = c.s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.Equal(t, []string{"WAFFLE_f"}, f.Groups)
		require.Contains(t, c.fails(1, "flag", "f", "--group", "WAFFLE_x"), "WAFFLE_ prefix is reserved")
	})
}

func requireSameFlag(t *testing.T, want, got *waffle.Flag) {
	t.Helper()
	require.Equal(t, want.Everyone, got.Everyone, "everyone")
	require.Equal(t, want.Percent, got.Percent, "percent")
	require.Equal(t, want.Testing, got.Testing, "testing")
	require.Equal(t, want.Superusers, got.Superusers, "superusers")
	require.Equal(t, want.Staff, got.Staff, "staff")
	require.Equal(t, want.Authenticated, got.Authenticated, "authenticated")
	require.Equal(t, want.Rollout, got.Rollout, "rollout")
	require.Equal(t, []string(want.Languages), []string(got.Languages), "languages")
	require.Equal(t, want.Note, got.Note, "note")
	require.Equal(t, want.Ramp, got.Ramp, "ramp")
	require.ElementsMatch(t, want.Users, got.Users, "users")
	require.ElementsMatch(t, want.Groups, got.Groups, "groups")
}

func TestFlagShowAndList(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Equal(t, "NAME  EVERYONE  PERCENT  RULES  LANGUAGES  USERS  GROUPS  MODIFIED\n", c.ok("flag", "--list"))
		require.Equal(t, "[]\n", c.ok("flag", "--list", "--json"))
		c.ok("flag", "b", "--create", "--everyone", "off", "--staff", "--rollout")
		c.ok("flag", "a", "--create", "--percent", "5", "--user", "x", "--user", "y", "--group", "g", "--languages", "en,de")
		out := lines(c.ok("flag", "--list"))
		require.Len(t, out, 3)
		require.Regexp(t, `^a\s+unset\s+5\s+-\s+en,de\s+2\s+g\s+\S+Z$`, out[1])
		require.Regexp(t, `^b\s+off\s+unset\s+staff,rollout\s+-\s+0\s+-\s+\S+Z$`, out[2])

		var flags []waffle.Flag
		c.json(&flags, "flag", "--list", "--json")
		require.Len(t, flags, 2)
		require.Equal(t, "a", flags[0].Name)
		require.Equal(t, 5.0, *flags[0].Percent)
		require.Equal(t, []string{"x", "y"}, flags[0].Users)
		require.False(t, *flags[1].Everyone)

		show := c.ok("flag", "a")
		require.Regexp(t, `(?m)^name:\s+a$`, show)
		require.Regexp(t, `(?m)^percent:\s+5$`, show)
		require.Regexp(t, `(?m)^users:\s+x, y$`, show)
		require.Regexp(t, `(?m)^everyone:\s+unset$`, show)
		var one waffle.Flag
		c.json(&one, "flag", "b", "--json")
		require.True(t, one.Staff)
		require.True(t, one.Rollout)
		require.Contains(t, c.fails(1, "flag", "nope"), `flag "nope" does not exist`)
	})
}

func TestFlagErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("flag", "f", "--create", "--percent", "10")
		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"flag", "f", "--percent", "abc"}, `invalid percent "abc"`},
			{2, []string{"flag", "f", "--percent", "100.1"}, "must be from 0 to 100"},
			{2, []string{"flag", "f", "--percent", "NaN"}, `invalid percent "NaN"`},
			{2, []string{"flag", "f", "--everyone", "yes"}, `invalid --everyone "yes" (want on, off or unset)`},
			{2, []string{"flag", "f", "--staff=maybe"}, `invalid boolean value "maybe"`},
			{2, []string{"flag", "f", "--nope"}, "flag provided but not defined: -nope"},
			{2, []string{"flag", "f", "--append"}, "--append goes with --user or --group"},
			{2, []string{"flag", "f", "--clear-users", "--user", "x"}, "--clear-users goes without --user"},
			{2, []string{"flag", "--list", "--staff"}, "--list takes no name"},
			{2, []string{"flag"}, "give a flag name, or --list"},
			{2, []string{"flag", "a", "b"}, "too many arguments"},
			{1, []string{"flag", "_f", "--create"}, `invalid flag name "_f"`},
			{1, []string{"flag", "f", "--user", "bad\x01id"}, "user ID"},
			{1, []string{"flag", "f", "--group", "_g"}, `invalid group name "_g"`},
			{1, []string{"flag", "f", "--languages", "en", "--user", strings.Repeat("u", 256)}, "user ID"},
		} {
			require.Contains(t, c.fails(tc.code, tc.args...), tc.msg, "%q", tc.args)
		}
		f, err := c.s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.Equal(t, 10.0, *f.Percent)
		require.Empty(t, f.Languages, "a failed change writes nothing")
		require.Empty(t, f.Users)
	})
}

func TestDeleteFlags(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("flag", "a", "--create", "--group", "g")
		c.flags("b")
		c.ok("switch", "sw", "on", "--create")
		c.ok("sample", "sm", "1", "--create")
		c.ok("set", "str", "v")
		out := c.ok("delete", "--flag", "a", "--flag", "zz", "--switch", "sw", "--sample", "sm", "--string", "str", "--sample", "nope")
		require.Equal(t, `Deleted 1 Flags
Deleted 1 Switches
Deleted 1 Samples
Deleted 1 String flags
Not found: flag "zz"
Not found: sample "nope"
`, out)
		flags, err := c.s.ListFlags(ctx)
		require.NoError(t, err)
		require.Len(t, flags, 1)
		require.Equal(t, "b", flags[0].Name)
		_, err = c.s.GetSwitch(ctx, "sw")
		require.ErrorIs(t, err, waffle.ErrNotFound)
		_, err = c.s.GetSample(ctx, "sm")
		require.ErrorIs(t, err, waffle.ErrNotFound)
		require.Equal(t, "{}\n", c.ok("dump-json"))
	})
}

// A ramp set, shown, listed as JSON and cleared through the command, on both
// databases; then the same through the real binary.
func TestFlagRamp(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	eachDB(t, func(t *testing.T, c *cli) {
		out := c.ok("flag", "checkout", "--create", "--percent", "5", "--ramp", "0:100",
			"--ramp-start", "2026-12-07T09:00:00Z", "--ramp-end", "2026-12-14")
		require.Equal(t, `Creating flag: checkout
Setting percent: 5
Setting ramp: linear 0% at 2026-12-07T09:00:00Z, 100% at 2026-12-14T00:00:00Z
`, out)
		f, err := c.s.GetFlag(ctx, "checkout")
		require.NoError(t, err)
		linear := waffle.LinearRamp(start, time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC), 0, 100)
		require.Equal(t, linear, f.Ramp)
		require.Equal(t, 5.0, *f.Percent)

		show := c.ok("flag", "checkout")
		require.Regexp(t, `(?m)^ramp:\s+linear 0% at 2026-12-07T09:00:00Z, 100% at 2026-12-14T00:00:00Z$`, show)
		require.Regexp(t, `(?m)^ramp now:\s+[0-9.]+ \(the percent while the ramp is set\)$`, show)
		var one waffle.Flag
		require.NoError(t, json.Unmarshal([]byte(c.ok("flag", "checkout", "--json")), &one))
		require.Equal(t, linear, one.Ramp)

		// Steps replace the linear ramp; other fields stay.
		out = c.ok("flag", "checkout", "--ramp-steps", "2026-12-07T09:00:00Z=1, 2026-12-09=10,2026-12-14T12:00:00+01:00=50")
		require.Equal(t, "Setting ramp: steps 1% at 2026-12-07T09:00:00Z, 10% at 2026-12-09T00:00:00Z, 50% at 2026-12-14T11:00:00Z\n", out)
		steps := &waffle.Ramp{Mode: waffle.RampSteps, Points: []waffle.RampPoint{
			{At: start, Percent: 1},
			{At: time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC), Percent: 10},
			{At: time.Date(2026, 12, 14, 11, 0, 0, 0, time.UTC), Percent: 50},
		}}
		var flags []waffle.Flag
		require.NoError(t, json.Unmarshal([]byte(c.ok("flag", "--list", "--json")), &flags))
		require.Len(t, flags, 1)
		require.Equal(t, steps, flags[0].Ramp)
		require.Equal(t, 5.0, *flags[0].Percent)

		// --no-ramp clears it; the percent applies again.
		require.Equal(t, "Setting ramp: none\n", c.ok("flag", "checkout", "--no-ramp"))
		f, err = c.s.GetFlag(ctx, "checkout")
		require.NoError(t, err)
		require.Nil(t, f.Ramp)
		require.Equal(t, 5.0, *f.Percent)
		require.Regexp(t, `(?m)^ramp:\s+none$`, c.ok("flag", "checkout"))
		require.NotContains(t, c.ok("flag", "checkout"), "ramp now:")
	})

	// The real binary: set, read back as JSON, clear.
	db := testdbSQLite(t)
	_, errOut, code := runBinary(t, db, "", "migrate")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = runBinary(t, db, "", "flag", "b", "--create", "--ramp", "10:60", "--ramp-start", "2026-12-07T09:00:00Z", "--ramp-end", "2026-12-08T09:00:00Z")
	require.Equal(t, 0, code, errOut)
	out, errOut, code := runBinary(t, db, "", "flag", "b", "--json")
	require.Equal(t, 0, code, errOut)
	var f waffle.Flag
	require.NoError(t, json.Unmarshal([]byte(out), &f))
	require.Equal(t, waffle.LinearRamp(start, start.Add(24*time.Hour), 10, 60), f.Ramp)
	_, errOut, code = runBinary(t, db, "", "flag", "b", "--ramp-steps", "2026-12-09=1,2026-12-07=10")
	require.Equal(t, 1, code)
	require.Equal(t, "waffle: invalid ramp of flag \"b\": point 2 (2026-12-07T00:00:00Z) is not after point 1 (2026-12-09T00:00:00Z): instants must strictly increase\n", errOut)
	_, errOut, code = runBinary(t, db, "", "flag", "b", "--no-ramp")
	require.Equal(t, 0, code, errOut)
	out, _, _ = runBinary(t, db, "", "flag", "--list", "--json")
	require.Contains(t, out, `"ramp": null`)
}

func TestFlagRampErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("flag", "f", "--create", "--percent", "10", "--ramp-steps", "2026-12-07=20")
		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"--ramp", "0:100"}, "--ramp, --ramp-start and --ramp-end go together"},
			{2, []string{"--ramp-start", "2026-12-07", "--ramp-end", "2026-12-08"}, "--ramp, --ramp-start and --ramp-end go together"},
			{2, []string{"--ramp", "50", "--ramp-start", "2026-12-07", "--ramp-end", "2026-12-08"}, `invalid --ramp "50": want FROM:TO`},
			{2, []string{"--ramp", "0:101", "--ramp-start", "2026-12-07", "--ramp-end", "2026-12-08"}, "must be from 0 to 100"},
			{2, []string{"--ramp", "x:1", "--ramp-start", "2026-12-07", "--ramp-end", "2026-12-08"}, `invalid percent "x"`},
			{2, []string{"--ramp", "0:100", "--ramp-start", "monday", "--ramp-end", "2026-12-08"}, `--ramp-start: invalid time "monday"`},
			{2, []string{"--ramp", "0:100", "--ramp-start", "2026-12-07", "--ramp-end", "soon"}, `--ramp-end: invalid time "soon"`},
			{2, []string{"--ramp-steps", "2026-12-07"}, `invalid --ramp-steps step "2026-12-07": want TIME=PERCENT`},
			{2, []string{"--ramp-steps", "2026-12-07=NaN"}, `invalid percent "NaN"`},
			{2, []string{"--ramp-steps", ""}, `invalid --ramp-steps step ""`},
			{2, []string{"--no-ramp", "--ramp-steps", "2026-12-07=1"}, "give one of --ramp"},
			{1, []string{"--ramp", "0:100", "--ramp-start", "2026-12-08", "--ramp-end", "2026-12-07", "--staff"}, `invalid ramp of flag "f": point 2`},
			{1, []string{"--ramp", "0:100", "--ramp-start", "2026-12-08", "--ramp-end", "2026-12-08"}, "instants must strictly increase"},
			{1, []string{"--ramp-steps", "2026-12-08=1,2026-12-07=2"}, "instants must strictly increase"},
		} {
			require.Contains(t, c.fails(tc.code, append([]string{"flag", "f"}, tc.args...)...), tc.msg, "%q", tc.args)
		}
		f, err := c.s.GetFlag(ctx, "f")
		require.NoError(t, err)
		require.Equal(t, 10.0, *f.Percent)
		require.False(t, f.Staff, "a failed change writes nothing")
		require.Equal(t, &waffle.Ramp{Mode: waffle.RampSteps, Points: []waffle.RampPoint{{At: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Percent: 20}}}, f.Ramp)
	})
}
