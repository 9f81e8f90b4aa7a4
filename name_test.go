package waffle

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestValidateName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		in       string
		valid    bool
		reserved bool
	}{
		{"Simple", "checkout", true, false},
		{"Punctuation", "new-checkout.v2:beta/eu", true, false},
		{"SpaceInside", "dark mode", true, false},
		{"UnderscoreInside", "a_b", true, false},
		{"OneRune", "x", true, false},
		{"Empty", "", false, false},
		{"LeadingUnderscore", "_x", false, false},
		{"OnlyUnderscore", "_", false, false},
		{"Reserved", "set_from_json", false, true},
		{"ReservedPrefixIsFine", "set_from_json2", true, false},
		{"ReservedCaseIsFine", "SET_FROM_JSON", true, false},
		{"ASCII255", strings.Repeat("a", 255), true, false},
		{"ASCII256", strings.Repeat("a", 256), false, false},
		{"TwoByte255", strings.Repeat("é", 255), true, false},
		{"ThreeByte255Is765Bytes", strings.Repeat("世", 255), true, false},
		{"FourByte255", strings.Repeat("🧇", 255), true, false},
		{"Multibyte256", strings.Repeat("世", 256), false, false},
		{"NUL", "a\x00b", false, false},
		{"Newline", "a\nb", false, false},
		{"Tab", "a\tb", false, false},
		{"DEL", "a\x7fb", false, false},
		{"C1NEL", "a\u0085b", false, false},
		{"InvalidUTF8", "a\xffb", false, false},
		{"TruncatedUTF8", "\xe4\xb8", false, false},
		{"Surrogate", "\xed\xa0\x80", false, false},
		{"Overlong", "\xc0\xaf", false, false},
		{"ZeroWidthJoinerIsFine", "a\u200db", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateName("switch", c.in)
			if c.valid {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidName)
			require.Equal(t, c.reserved, errors.Is(err, ErrReservedName))
			var ne *NameError
			require.ErrorAs(t, err, &ne)
			require.Equal(t, "switch", ne.Kind)
			require.Equal(t, c.in, ne.Name)
			require.NotEmpty(t, ne.Reason)
			require.Contains(t, err.Error(), "invalid switch name")
			require.LessOrEqual(t, len(err.Error()), 200, "a long bad name is cut in the message")
		})
	}
	if len(strings.Repeat("世", 255)) != 765 {
		t.Fatal("the 255-rune case is meant to be 765 bytes")
	}
}

// A read of an invalid name returns the name error without touching the
// database: it works on a database that was never migrated, and on a closed
// one.
func TestInvalidNameTouchesNoDatabase(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		gdb := db.Open(t) // never migrated
		s, err := New(gdb, nil)
		require.NoError(t, err)
		sqlDB, err := gdb.DB()
		require.NoError(t, err)
		require.NoError(t, sqlDB.Close())
		reads := map[string]func(string) error{
			"SwitchIsActive": func(n string) error { _, err := s.SwitchIsActive(ctx, n); return err },
			"SampleIsActive": func(n string) error { _, err := s.SampleIsActive(ctx, n); return err },
			"Get":            func(n string) error { _, err := s.Get(ctx, n); return err },
			"Set":            func(n string) error { return s.Set(ctx, n, "x") },
			"SetSwitch":      func(n string) error { return s.SetSwitch(ctx, n, true) },
			"SetSample":      func(n string) error { return s.SetSample(ctx, n, 1) },
			"FlagIsActive":   func(n string) error { _, err := s.FlagIsActive(ctx, n); return err },
			"GetFlag":        func(n string) error { _, err := s.GetFlag(ctx, n); return err },
			"SaveFlag":       func(n string) error { return s.SaveFlag(ctx, &Flag{Name: n}) },
			"DeleteFlag":     func(n string) error { return s.DeleteFlag(ctx, n) },
			"AddFlagUsers":   func(n string) error { return s.AddFlagUsers(ctx, n, "u1") },
			"AddFlagGroups":  func(n string) error { return s.AddFlagGroups(ctx, "ok", n) },
			"GetSwitch":      func(n string) error { _, err := s.GetSwitch(ctx, n); return err },
			"DeleteSwitch":   func(n string) error { return s.DeleteSwitch(ctx, n) },
			"SaveSwitch":     func(n string) error { return Save(ctx, s, &Switch{Name: n}) },
			"DeleteString":   func(n string) error { return s.DeleteStringFlag(ctx, n) },
			"CreateGroup":    func(n string) error { return s.CreateGroup(ctx, n) },
			"AddMembers":     func(n string) error { return s.AddGroupMembers(ctx, n, "u1") },
			"GroupMembers":   func(n string) error { _, err := s.GroupMembers(ctx, n); return err },
		}
		for call, read := range reads {
			for _, name := range []string{"", "_x", "set_from_json", "a\x00", "\xff"} {
				err := read(name)
				require.ErrorIs(t, err, ErrInvalidName, "%s(%q)", call, name)
				var ne *NameError
				require.ErrorAs(t, err, &ne, "%s(%q): only the name error, no database error: %v", call, name, err)
				require.NotContains(t, err.Error(), "closed", "%s(%q)", call, name)
			}
		}
		// A valid name does reach the (closed) database.
		_, err = s.Get(ctx, "ok")
		require.Error(t, err)
		require.NotErrorIs(t, err, ErrInvalidName)
	})
}

// validNameReference is the name rule written the obvious way, to check
// ValidateName's fast path against.
func validNameReference(name string) bool {
	if !utf8.ValidString(name) {
		return false
	}
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 255 || strings.HasPrefix(name, "_") || name == "set_from_json" {
		return false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func FuzzValidateName(f *testing.F) {
	for _, seed := range []string{
		"", "x", "_", "_x", "a_b", "set_from_json", "set_from_json ", "checkout",
		"a\x00b", "a\nb", "\x7f", "\u0085", "\u00a0", "a\u200db", "\xff", "\xed\xa0\x80", "\xc0\xaf",
		strings.Repeat("a", 255), strings.Repeat("a", 256), strings.Repeat("世", 255), strings.Repeat("世", 256),
		strings.Repeat("🧇", 254) + "\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName("flag", name)
		want := validNameReference(name)
		if want != (err == nil) {
			t.Fatalf("ValidateName(%q) = %v, want valid=%v", name, err, want)
		}
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) || ne.Name != name || !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ValidateName(%q) returned %#v, want a *NameError matching ErrInvalidName", name, err)
			}
			if errors.Is(err, ErrReservedName) != (name == "set_from_json") {
				t.Fatalf("ValidateName(%q): ErrReservedName = %v", name, errors.Is(err, ErrReservedName))
			}
		}
	})
}
