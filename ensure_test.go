package waffle

import (
	"bytes"
	"context"
	"log"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

func TestEnsure(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		var gormLog bytes.Buffer
		db := h.db.Open(t).Session(&gorm.Session{Logger: logger.New(log.New(&gormLog, "", 0),
			logger.Config{LogLevel: logger.Warn, Colorful: false})})
		s, err := New(db, nil)
		require.NoError(t, err)
		seed := Seed{
			Flags: []Flag{
				{Name: "beta", Percent: ptr(10.0), Users: []string{"u1"}, Groups: []string{"testers"}, Languages: []string{"fr", "de"}, Note: "seeded"},
				{Name: "dark", Everyone: ptr(false)},
				{Name: "ramped", Ramp: LinearRamp(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 100, 100)},
			},
			Switches:    []Switch{{Name: "maintenance", Active: false, Note: "seeded"}, {Name: "signup", Active: true}},
			Samples:     []Sample{{Name: "trace", Percent: 5}},
			StringFlags: map[string]any{"limit": 10, "banner": "hi", "gone": nil},
		}

		// The operator already changed one of each kind.
		require.NoError(t, s.SetSwitch(ctx, "signup", false))
		saveFlag(t, s, Flag{Name: "dark", Everyone: ptr(true)})
		require.NoError(t, s.Set(ctx, "limit", "25"))

		done, err := s.Ensure(ctx, seed)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"beta", "ramped"}, done.Flags)
		rd, err := s.FlagDetail(ctx, "ramped")
		require.NoError(t, err)
		require.Equal(t, ReasonRamp, rd.Reason)
		require.True(t, rd.Active)
		require.Equal(t, 100.0, rd.Percent)
		require.Equal(t, []string{"maintenance"}, done.Switches)
		require.Equal(t, []string{"trace"}, done.Samples)
		require.ElementsMatch(t, []string{"banner", "gone"}, done.StringFlags)

		f, err := s.GetFlag(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, []string{"u1"}, f.Users)
		require.Equal(t, []string{"testers"}, f.Groups)
		require.Equal(t, LanguageList{"fr", "de"}, f.Languages)
		require.Equal(t, 10.0, *f.Percent)
		require.Equal(t, "seeded", f.Note)
		on, err := s.FlagIsActive(WithUser(ctx, User{ID: "u1"}), "beta")
		require.NoError(t, err)
		require.True(t, on)

		// What the operator changed stays changed.
		on, err = s.SwitchIsActive(ctx, "signup")
		require.NoError(t, err)
		require.False(t, on)
		on, err = s.FlagIsActive(ctx, "dark")
		require.NoError(t, err)
		require.True(t, on)
		v, err := s.Get(ctx, "limit")
		require.NoError(t, err)
		require.Equal(t, "25", v.String())
		v, err = s.Get(ctx, "gone")
		require.NoError(t, err)
		require.True(t, v.Null())

		// Each creation is audited, as any other write; what existed is not.
		hist, err := s.History(ctx, HistoryFilter{Kind: "switch", Name: "maintenance"})
		require.NoError(t, err)
		require.Len(t, hist, 1)
		require.Equal(t, "create", hist[0].Action)
		hist, err = s.History(ctx, HistoryFilter{Kind: "flag", Name: "beta"})
		require.NoError(t, err)
		require.Len(t, hist, 1)
		hist, err = s.History(ctx, HistoryFilter{Kind: "group", Name: "testers"})
		require.NoError(t, err)
		require.Len(t, hist, 1)
		hist, err = s.History(ctx, HistoryFilter{Kind: "string_flag", Name: "banner"})
		require.NoError(t, err)
		require.Len(t, hist, 1)
		hist, err = s.History(ctx, HistoryFilter{Kind: "switch", Name: "signup"})
		require.NoError(t, err)
		require.Len(t, hist, 1, "only the operator's SetSwitch")

		// Idempotent, and it never overwrites a later change.
		require.NoError(t, s.SetSample(ctx, "trace", 50))
		done, err = s.Ensure(ctx, seed)
		require.NoError(t, err)
		require.Equal(t, Ensured{}, done)
		sd, err := s.SampleDetail(ctx, "trace")
		require.NoError(t, err)
		require.Equal(t, 50.0, sd.Percent)
		hist, err = s.History(ctx, HistoryFilter{Kind: "switch", Name: "maintenance"})
		require.NoError(t, err)
		require.Len(t, hist, 1, "a second Ensure writes no entry")

		require.NotContains(t, gormLog.String(), "record not found")
	})
}

// Bad input is refused before any write.
func TestEnsureRejectsBadSeeds(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		for _, c := range []struct {
			name string
			seed Seed
			want error
		}{
			{"BadFlagName", Seed{Switches: []Switch{{Name: "ok"}}, Flags: []Flag{{Name: "_bad"}}}, ErrInvalidName},
			{"BadPercent", Seed{Switches: []Switch{{Name: "ok"}}, Samples: []Sample{{Name: "s", Percent: 101}}}, ErrInvalidValue},
			{"Twice", Seed{Switches: []Switch{{Name: "ok"}, {Name: "ok"}}}, ErrInvalidValue},
			{"BadValue", Seed{Switches: []Switch{{Name: "ok"}}, StringFlags: map[string]any{"x": []int{1}}}, ErrInvalidValue},
			{"BadUser", Seed{Switches: []Switch{{Name: "ok"}}, Flags: []Flag{{Name: "f", Users: []string{""}}}}, ErrInvalidValue},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Ensure(ctx, c.seed)
				require.ErrorIs(t, err, c.want)
				sw, err := s.SwitchDetail(ctx, "ok")
				require.NoError(t, err)
				require.True(t, sw.Missing, "nothing written")
			})
		}
	})
}
