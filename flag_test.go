package waffle

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

func ptr[T any](v T) *T { return &v }

func TestFlagSaveLoad(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)

		f := &Flag{
			Name:          "beta",
			Everyone:      ptr(false),
			Percent:       ptr(12.5),
			Testing:       true,
			Superusers:    true,
			Staff:         true,
			Authenticated: true,
			Languages:     []string{"en", " fr ", "de-at"},
			Rollout:       true,
			Note:          "the beta",
			Users:         []string{"u2", "u1", "u1"},
			Groups:        []string{"testers", "admins"},
		}
		require.NoError(t, s.SaveFlag(ctx, f))
		require.NotZero(t, f.ID)
		require.False(t, f.Created.IsZero())
		require.Equal(t, []string{"u1", "u2"}, f.Users, "Save reloads the lists")
		require.Equal(t, []string{"admins", "testers"}, f.Groups)

		got, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, f.ID, got.ID)
		require.Equal(t, false, *got.Everyone)
		require.Equal(t, 12.5, *got.Percent)
		require.True(t, got.Testing && got.Superusers && got.Staff && got.Authenticated && got.Rollout)
		require.Equal(t, LanguageList{"en", "fr", "de-at"}, got.Languages)
		require.Equal(t, "the beta", got.Note)
		require.Equal(t, []string{"u1", "u2"}, got.Users)
		require.Equal(t, []string{"admins", "testers"}, got.Groups)
		require.True(t, got.Created.Equal(f.Created))

		groups, err := s.ListGroups(ctx)
		require.NoError(t, err)
		require.Len(t, groups, 2, "Save created the listed groups")

		// Save replaces the lists; nil Everyone and Percent are stored as NULL.
		got.Everyone, got.Percent = nil, nil
		got.Users = []string{"u3"}
		got.Groups = []string{"testers", "new"}
		got.Languages = nil
		require.NoError(t, s.SaveFlag(ctx, got))
		again, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Nil(t, again.Everyone)
		require.Nil(t, again.Percent)
		require.Equal(t, LanguageList{}, again.Languages)
		require.Equal(t, []string{"u3"}, again.Users)
		require.Equal(t, []string{"new", "testers"}, again.Groups)
		require.Equal(t, f.ID, again.ID)

		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "alpha", Percent: ptr(100.0)}))
		list, err := s.ListFlags(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "alpha", list[0].Name)
		require.Equal(t, 100.0, *list[0].Percent)
		require.Equal(t, []string{}, list[0].Users)
		require.Equal(t, []string{"u3"}, list[1].Users)

		_, err = s.GetFlag(ctx, "ghost")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

// A change made through one store is seen by another store (another
// process) at its next evaluation: there is no cache.
func TestFlagSeenByAnotherStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		writer, reader := h.store(t, nil), h.store(t, nil)
		user := WithUser(ctx, User{ID: "u1"})
		active := func() bool {
			t.Helper()
			on, err := reader.FlagIsActive(user, "beta")
			require.NoError(t, err)
			return on
		}
		require.False(t, active(), "missing")
		require.NoError(t, writer.SaveFlag(ctx, &Flag{Name: "beta"}))
		require.False(t, active(), "no rule matches")
		require.NoError(t, writer.AddFlagUsers(ctx, "beta", "u1"))
		require.True(t, active(), "listed")
		require.NoError(t, writer.SaveFlag(ctx, &Flag{Name: "beta", Everyone: ptr(false), Users: []string{"u1"}}))
		require.False(t, active(), "everyone off")
		require.NoError(t, writer.SaveFlag(ctx, &Flag{Name: "beta", Groups: []string{"g"}}))
		require.False(t, active(), "unlisted, not a member")
		require.NoError(t, writer.AddGroupMembers(ctx, "g", "u1"))
		require.True(t, active(), "a member of a listed group")
		require.NoError(t, writer.DeleteFlag(ctx, "beta"))
		require.False(t, active(), "deleted")
	})
}

func TestFlagValidation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		cases := []struct {
			name string
			flag Flag
			is   error
		}{
			{"BadName", Flag{Name: "_x"}, ErrInvalidName},
			{"Reserved", Flag{Name: "set_from_json"}, ErrReservedName},
			{"NegativePercent", Flag{Name: "x", Percent: ptr(-0.1)}, ErrInvalidValue},
			{"PercentOver100", Flag{Name: "x", Percent: ptr(100.01)}, ErrInvalidValue},
			{"NaN", Flag{Name: "x", Percent: ptr(math.NaN())}, ErrInvalidValue},
			{"Inf", Flag{Name: "x", Percent: ptr(math.Inf(1))}, ErrInvalidValue},
			{"LanguageComma", Flag{Name: "x", Languages: []string{"en,fr"}}, ErrInvalidValue},
			{"EmptyUser", Flag{Name: "x", Users: []string{""}}, ErrInvalidValue},
			{"ControlUser", Flag{Name: "x", Users: []string{"a\nb"}}, ErrInvalidValue},
			{"BadUTF8User", Flag{Name: "x", Users: []string{"\xff"}}, ErrInvalidValue},
			{"LongUser", Flag{Name: "x", Users: []string{strings.Repeat("é", 256)}}, ErrInvalidValue},
			{"BadGroup", Flag{Name: "x", Groups: []string{"_g"}}, ErrInvalidName},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := s.SaveFlag(ctx, &c.flag)
				require.ErrorIs(t, err, c.is)
			})
		}
		var ve *ValueError
		err := s.SaveFlag(ctx, &Flag{Name: "x", Percent: ptr(101.0)})
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "percent", ve.Field)
		require.Equal(t, "x", ve.Name)
		require.Contains(t, err.Error(), `invalid percent of flag "x": must be from 0 to 100, got 101`, "the same rule and message as samples")
		list, err := s.ListFlags(ctx)
		require.NoError(t, err)
		require.Empty(t, list, "nothing was written")

		// 255 runes of user ID are fine; 0 and 100 percent too.
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "x", Percent: ptr(0.0), Users: []string{strings.Repeat("é", 255), "_u", "set_from_json"}}))
		x, err := s.GetFlag(ctx, "x")
		require.NoError(t, err)
		require.ElementsMatch(t, []string{strings.Repeat("é", 255), "_u", "set_from_json"}, x.Users, "user IDs are opaque")
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "y", Percent: ptr(100.0)}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "z", Percent: ptr(math.Copysign(0, -1))}))
		z, err := s.GetFlag(ctx, "z")
		require.NoError(t, err)
		require.False(t, math.Signbit(*z.Percent), "-0 is stored as 0")
	})
}

// OwnedFlag is an application's flag model with a column of its own.
type OwnedFlag struct {
	Flag
	Owner string
}

func TestCustomFlagModel(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "before", Users: []string{"u0"}}))
		// The application's migration: AutoMigrate adds its column and leaves
		// the library's alone.
		require.NoError(t, s.db.AutoMigrate(&OwnedFlag{}))
		require.NoError(t, s.db.AutoMigrate(&OwnedFlag{}), "twice")
		require.True(t, s.db.Migrator().HasColumn(&OwnedFlag{}, "owner"))
		require.Error(t, s.db.Exec("INSERT INTO waffle_flag (name) VALUES ('before')").Error, "unique name")
		require.Error(t, s.db.Exec("INSERT INTO waffle_flag (name, percent) VALUES ('p', 101)").Error, "percent check")
		before, err := s.GetFlag(ctx, "before")
		require.NoError(t, err)
		require.Equal(t, []string{"u0"}, before.Users)

		rec := &OwnedFlag{Flag: Flag{Name: "checkout", Staff: true, Users: []string{"u1"}, Groups: []string{"ops"}}, Owner: "payments"}
		require.NoError(t, Save(ctx, s, rec))
		require.NotZero(t, rec.ID)

		got, err := Load[OwnedFlag](ctx, s, "checkout")
		require.NoError(t, err)
		require.Equal(t, "payments", got.Owner)
		require.True(t, got.Staff)
		require.Equal(t, []string{"u1"}, got.Users)
		require.Equal(t, []string{"ops"}, got.Groups)

		// The library's own writes leave the owner alone.
		require.NoError(t, s.AddFlagUsers(ctx, "checkout", "u2"))
		require.NoError(t, s.SaveFlag(ctx, &got.Flag))
		got, err = Load[OwnedFlag](ctx, s, "checkout")
		require.NoError(t, err)
		require.Equal(t, "payments", got.Owner)
		require.Equal(t, []string{"u1"}, got.Users, "SaveFlag of the loaded flag replaced the users")

		got.Owner = "growth"
		require.NoError(t, Save(ctx, s, got))
		all, err := List[OwnedFlag](ctx, s)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "before", all[0].Name)
		require.Equal(t, "", all[0].Owner)
		require.Equal(t, []string{"u0"}, all[0].Users)
		require.Equal(t, "growth", all[1].Owner)
		require.Equal(t, []string{"ops"}, all[1].Groups)
		require.Equal(t, rec.ID, all[1].ID)

		// Evaluation ignores the extra column.
		on, err := s.FlagIsActive(WithUser(ctx, User{ID: "u1"}), "checkout")
		require.NoError(t, err)
		require.True(t, on)
		on, err = s.FlagIsActive(WithUser(ctx, User{ID: "u9", Staff: true}), "checkout")
		require.NoError(t, err)
		require.True(t, on)
		on, err = s.FlagIsActive(ctx, "checkout")
		require.NoError(t, err)
		require.False(t, on)

		err = Save(ctx, s, &OwnedFlag{Flag: Flag{Name: "_hidden"}})
		require.ErrorIs(t, err, ErrInvalidName)
	})
}

func TestFlagUsersAndGroups(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta"}))

		require.NoError(t, s.AddFlagUsers(ctx, "beta", "u1", "u2", "u2"))
		require.NoError(t, s.AddFlagUsers(ctx, "beta", "u2", "u3"), "idempotent")
		require.NoError(t, s.AddFlagUsers(ctx, "beta"), "nothing to add")
		require.ErrorIs(t, s.AddFlagUsers(ctx, "ghost"), ErrNotFound, "nothing to add to no flag")
		require.ErrorIs(t, s.RemoveFlagGroups(ctx, "ghost"), ErrNotFound)
		require.NoError(t, s.RemoveFlagUsers(ctx, "beta", "u1", "nobody"))
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u2", "u3"}, f.Users)
		require.True(t, f.Modified.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))

		require.NoError(t, s.AddFlagGroups(ctx, "beta", "testers", "admins"))
		require.NoError(t, s.AddFlagGroups(ctx, "beta", "testers"))
		require.NoError(t, s.RemoveFlagGroups(ctx, "beta", "admins", "ghost"))
		f, err = s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"testers"}, f.Groups)
		groups, err := s.ListGroups(ctx)
		require.NoError(t, err)
		require.Len(t, groups, 2, "removing a group from a flag keeps the group")

		// Bad input changes nothing.
		require.ErrorIs(t, s.AddFlagUsers(ctx, "beta", "u4", ""), ErrInvalidValue)
		require.ErrorIs(t, s.AddFlagUsers(ctx, "beta", "u4", "a\x00b"), ErrInvalidValue)
		require.ErrorIs(t, s.AddFlagUsers(ctx, "ghost", "u4"), ErrNotFound)
		require.ErrorIs(t, s.RemoveFlagUsers(ctx, "ghost", "u4"), ErrNotFound)
		require.ErrorIs(t, s.AddFlagGroups(ctx, "ghost", "g"), ErrNotFound)
		require.ErrorIs(t, s.AddFlagGroups(ctx, "beta", "ok", "_bad"), ErrInvalidName)
		require.ErrorIs(t, s.AddFlagGroups(ctx, "beta", "WAFFLE_beta"), ErrInvalidName)
		require.ErrorIs(t, s.AddFlagUsers(ctx, "_bad", "u4"), ErrInvalidName)
		f, err = s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u2", "u3"}, f.Users)
		require.Equal(t, []string{"testers"}, f.Groups)

		// Bulk: 500 users in one call.
		ids := make([]string, 500)
		for i := range ids {
			ids[i] = "bulk-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)
		}
		require.NoError(t, s.AddFlagUsers(ctx, "beta", ids...))
		f, err = s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Len(t, f.Users, 502)
		require.NoError(t, s.RemoveFlagUsers(ctx, "beta", ids...))
		f, err = s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u2", "u3"}, f.Users)

		// User IDs with JSON's special characters round-trip.
		odd := []string{`quo"te`, `back\slash`, "ünï", "tab-less ☃"}
		require.NoError(t, s.AddFlagUsers(ctx, "beta", odd...))
		f, err = s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		for _, id := range odd {
			require.Contains(t, f.Users, id)
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: id}), "beta")
			require.NoError(t, err)
			require.True(t, on, id)
		}
	})
}

// Save leaves the WAFFLE_ group that SyncMembership attached, whether or not
// the saved flag lists it.
func TestFlagSaveKeepsSyncGroup(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Groups: []string{"testers"}}))
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		// What the sync does, with its own SQL.
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, rebind(s, "INSERT INTO waffle_group (name, created) VALUES (?, ?)"), "WAFFLE_beta", s.now())
		require.NoError(t, err)
		_, err = sqlDB.ExecContext(ctx, rebind(s, "INSERT INTO waffle_flag_group (flag_id, group_id) SELECT ?, id FROM waffle_group WHERE name = 'WAFFLE_beta'"), f.ID)
		require.NoError(t, err)

		f.Groups = nil
		require.NoError(t, s.SaveFlag(ctx, f))
		require.Equal(t, []string{"WAFFLE_beta"}, f.Groups)
		f.Groups = []string{"WAFFLE_other", "testers"}
		require.NoError(t, s.SaveFlag(ctx, f))
		require.Equal(t, []string{"WAFFLE_beta", "testers"}, f.Groups, "Save neither attaches nor creates WAFFLE_ groups")
	})
}

// rebind turns ? placeholders into the store's dialect.
func rebind(s *Store, q string) string {
	if s.Dialect() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func TestDeleteFlag(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Users: []string{"u1"}, Groups: []string{"testers"}}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "other", Users: []string{"u1"}}))
		require.NoError(t, s.AddGroupMembers(ctx, "testers", "u2"))
		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		other, err := s.GetFlag(ctx, "other")
		require.NoError(t, err)

		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		exec := func(q string, args ...any) {
			t.Helper()
			_, err := sqlDB.ExecContext(ctx, rebind(s, q), args...)
			require.NoError(t, err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			require.NoError(t, sqlDB.QueryRowContext(ctx, rebind(s, q), args...).Scan(&n))
			return n
		}
		now := s.now()
		for _, id := range []int64{f.ID, other.ID} {
			exec("INSERT INTO waffle_flag_member (flag_id, user_id, start_at, created) VALUES (?, 'u1', ?, ?)", id, now, now)
		}
		for _, g := range []string{"WAFFLE_beta", "WAFFLE_other"} {
			exec("INSERT INTO waffle_group (name, created) VALUES (?, ?)", g, now)
			exec("INSERT INTO waffle_group_member (group_id, user_id) SELECT id, 'u1' FROM waffle_group WHERE name = ?", g)
		}
		exec("INSERT INTO waffle_flag_group (flag_id, group_id) SELECT ?, id FROM waffle_group WHERE name = 'WAFFLE_beta'", f.ID)
		exec("INSERT INTO waffle_flag_group (flag_id, group_id) SELECT ?, id FROM waffle_group WHERE name = 'WAFFLE_other'", other.ID)
		// Without foreign keys (as an application's SQLite may be opened), the
		// explicit deletes still clean up.
		if s.Dialect() == "sqlite" {
			sqlDB.SetMaxOpenConns(1) // one connection, the one set below
			exec("PRAGMA foreign_keys = OFF")
			require.Equal(t, 0, count("PRAGMA foreign_keys"))
		}

		require.NoError(t, s.DeleteFlag(ctx, "beta"))
		require.Equal(t, 0, count("SELECT count(*) FROM waffle_flag WHERE name = 'beta'"))
		require.Equal(t, 0, count("SELECT count(*) FROM waffle_flag_member WHERE flag_id = ?", f.ID))
		require.Equal(t, 0, count("SELECT count(*) FROM waffle_flag_user WHERE flag_id = ?", f.ID))
		require.Equal(t, 0, count("SELECT count(*) FROM waffle_flag_group WHERE flag_id = ?", f.ID))
		require.Equal(t, 0, count("SELECT count(*) FROM waffle_group WHERE name = 'WAFFLE_beta'"))
		require.Equal(t, 2, count("SELECT count(*) FROM waffle_group_member"), "WAFFLE_other's and testers' members are left")
		// Everything else stays.
		require.Equal(t, 1, count("SELECT count(*) FROM waffle_flag_member WHERE flag_id = ?", other.ID))
		require.Equal(t, 1, count("SELECT count(*) FROM waffle_group WHERE name = 'WAFFLE_other'"))
		require.Equal(t, 1, count("SELECT count(*) FROM waffle_group WHERE name = 'testers'"))
		require.Equal(t, 1, count("SELECT count(*) FROM waffle_flag_user WHERE flag_id = ?", other.ID))

		require.ErrorIs(t, s.DeleteFlag(ctx, "beta"), ErrNotFound)
		require.ErrorIs(t, s.DeleteFlag(ctx, "_bad"), ErrInvalidName)
	})
}

// Flag writes through WithTx commit or roll back with the application's
// transaction, and evaluation inside it sees them.
func TestFlagWithTx(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "kept", Users: []string{"u1"}}))
		user := WithUser(ctx, User{ID: "u2"})
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.NoError(t, ts.SaveFlag(ctx, &Flag{Name: "new", Groups: []string{"g"}}))
			require.NoError(t, ts.AddGroupMembers(ctx, "g", "u2"))
			require.NoError(t, ts.AddFlagUsers(ctx, "kept", "u2"))
			on, err := ts.FlagIsActive(user, "new")
			require.NoError(t, err)
			require.True(t, on, "the transaction sees its writes")
			on, err = ts.FlagIsActive(user, "kept")
			require.NoError(t, err)
			require.True(t, on)
			require.NoError(t, ts.DeleteFlag(ctx, "kept"))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)

		_, err = s.GetFlag(ctx, "new")
		require.ErrorIs(t, err, ErrNotFound)
		f, err := s.GetFlag(ctx, "kept")
		require.NoError(t, err, "the delete rolled back")
		require.Equal(t, []string{"u1"}, f.Users)
		groups, err := s.ListGroups(ctx)
		require.NoError(t, err)
		require.Empty(t, groups)

		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return s.WithTx(tx).AddFlagUsers(ctx, "kept", "u2")
		})
		require.NoError(t, err)
		on, err := s.FlagIsActive(user, "kept")
		require.NoError(t, err)
		require.True(t, on, "committed")
	})
}

// Creating a missing flag costs a second statement, the insert.
func TestFlagCreateMissingSendsTwoStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, &Config{CreateMissingFlags: true})
		counter.Reset()
		_, err := s.FlagIsActive(ctx, "fresh")
		require.NoError(t, err)
		require.Equal(t, int64(2), counter.Count(), "%v", counter.Statements())
		counter.Reset()
		_, err = s.FlagIsActive(ctx, "fresh")
		require.NoError(t, err)
		require.Equal(t, int64(1), counter.Count(), "%v", counter.Statements())
	})
}

// ListFlags reads every flag with its users and groups in three statements,
// however many flags there are.
func TestListFlagsStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		for i := range 20 {
			require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "f" + strconv.Itoa(i), Users: []string{"u" + strconv.Itoa(i), "v"}, Groups: []string{"g" + strconv.Itoa(i%3)}}))
		}
		counter.Reset()
		flags, err := s.ListFlags(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(3), counter.Count(), "%v", counter.Statements())
		require.Len(t, flags, 20)
		for _, f := range flags {
			got, err := s.GetFlag(ctx, f.Name)
			require.NoError(t, err)
			require.Equal(t, *got, f, "ListFlags and GetFlag agree")
		}
	})
}
