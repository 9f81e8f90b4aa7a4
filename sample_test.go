package waffle

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSample(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)

		on, err := s.SampleIsActive(ctx, "log-details")
		require.NoError(t, err)
		require.False(t, on, "a missing sample reads as SampleDefault")
		_, err = s.GetSample(ctx, "log-details")
		require.ErrorIs(t, err, ErrNotFound, "a read does not create it by default")

		require.NoError(t, s.SetSample(ctx, "log-details", 12.5))
		sm, err := s.GetSample(ctx, "log-details")
		require.NoError(t, err)
		require.Equal(t, "log-details", sm.Name)
		require.Equal(t, 12.5, sm.Percent)
		require.NotZero(t, sm.ID)
		require.False(t, sm.Created.IsZero())

		require.NoError(t, s.SetSample(ctx, "log-details", 100))
		require.NoError(t, s.SetSample(ctx, "audit", 0))
		list, err := s.ListSamples(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "audit", list[0].Name)
		require.Equal(t, 0.0, list[0].Percent)
		require.Equal(t, "log-details", list[1].Name)
		require.Equal(t, 100.0, list[1].Percent)
		require.Equal(t, sm.ID, list[1].ID, "SetSample of an existing name updates the row")

		require.NoError(t, s.DeleteSample(ctx, "audit"))
		require.ErrorIs(t, s.DeleteSample(ctx, "audit"), ErrNotFound)
		_, err = s.GetSample(ctx, "audit")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

// seq returns a Config.Rand that hands out draws in order, then repeats the
// last one.
func seq(draws ...float64) func() float64 {
	var i atomic.Int64
	return func() float64 {
		n := int(i.Add(1)) - 1
		return draws[min(n, len(draws)-1)]
	}
}

func TestSampleDraw(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		cases := []struct {
			name    string
			percent float64
			draw    float64
			want    bool
		}{
			{"ZeroNeverWithDrawZero", 0, 0, false},
			{"ZeroNever", 0, 0.5, false},
			{"HundredAlways", 100, 0.999999999, true},
			{"HundredAtZero", 100, 0, true},
			{"BelowPercent", 30, 0.2999, true},
			{"AtPercentIsOff", 30, 0.3, false},
			{"AbovePercent", 30, 0.5, false},
			{"Fraction", 0.5, 0.004, true},
			{"FractionOff", 0.5, 0.005, false},
		}
		for _, c := range cases {
			s := h.store(t, &Config{Rand: seq(c.draw)})
			require.NoError(t, s.SetSample(ctx, c.name, c.percent))
			on, err := s.SampleIsActive(ctx, c.name)
			require.NoError(t, err)
			require.Equal(t, c.want, on, "%s: percent %v, draw %v", c.name, c.percent, c.draw)
		}

		// A new draw at every call.
		s := h.store(t, &Config{Rand: seq(0.1, 0.9, 0.4, 0.6)})
		require.NoError(t, s.SetSample(ctx, "half", 50))
		var got []bool
		for range 4 {
			on, err := s.SampleIsActive(ctx, "half")
			require.NoError(t, err)
			got = append(got, on)
		}
		require.Equal(t, []bool{true, false, true, false}, got)
	})
}

func TestSampleInvalidPercent(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		require.NoError(t, s.SetSample(ctx, "s", 40))
		for _, p := range []float64{-1, -0.0001, 100.1, 100.0000001, math.NaN(), math.Inf(1), math.Inf(-1)} {
			counter.Reset()
			err := s.SetSample(ctx, "s", p)
			require.ErrorIs(t, err, ErrInvalidValue, "%v", p)
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, "percent", ve.Field)
			require.Equal(t, "s", ve.Name)
			require.Zero(t, counter.Count(), "percent %v sent %v", p, counter.Statements())

			err = Save(ctx, s, &Sample{Name: "t", Percent: p})
			require.ErrorIs(t, err, ErrInvalidValue, "Save with percent %v", p)
		}
		sm, err := s.GetSample(ctx, "s")
		require.NoError(t, err)
		require.Equal(t, 40.0, sm.Percent, "nothing was written")
		_, err = s.GetSample(ctx, "t")
		require.ErrorIs(t, err, ErrNotFound)

		// The bounds themselves are valid; -0 is stored as 0.
		for _, p := range []float64{0, 100, math.Copysign(0, -1)} {
			require.NoError(t, s.SetSample(ctx, "s", p))
		}
		sm, err = s.GetSample(ctx, "s")
		require.NoError(t, err)
		require.False(t, math.Signbit(sm.Percent))
	})
}

func TestSampleMissing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		for _, def := range []bool{true, false} {
			ctx := context.Background()
			var logs bytes.Buffer
			s := h.store(t, &Config{
				SampleDefault:        def,
				CreateMissingSamples: true,
				LogMissingSamples:    slog.LevelInfo,
				Logger:               slog.New(slog.NewTextHandler(&logs, nil)),
				Rand:                 seq(0.5),
			})
			name := "ghost-" + map[bool]string{true: "on", false: "off"}[def]
			on, err := s.SampleIsActive(ctx, name)
			require.NoError(t, err)
			require.Equal(t, def, on, "SampleDefault")
			require.Contains(t, logs.String(), "level=INFO")
			require.Contains(t, logs.String(), "kind=sample")
			require.Contains(t, logs.String(), "name="+name)

			sm, err := s.GetSample(ctx, name)
			require.NoError(t, err, "CreateMissingSamples created it")
			want := 0.0
			if def {
				want = 100
			}
			require.Equal(t, want, sm.Percent)

			// Now it exists: the draw decides, and nothing more is logged.
			logs.Reset()
			on, err = s.SampleIsActive(ctx, name)
			require.NoError(t, err)
			require.Equal(t, def, on)
			require.Empty(t, logs.String())
		}

		// Without the settings nothing is logged or created.
		var logs bytes.Buffer
		s := h.store(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		_, err := s.SampleIsActive(context.Background(), "quiet")
		require.NoError(t, err)
		require.Empty(t, logs.String())
		_, err = s.GetSample(context.Background(), "quiet")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestSampleSeenByAnotherStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.store(t, nil)
		b := h.store(t, &Config{Rand: seq(0.5)})
		on, err := b.SampleIsActive(ctx, "x")
		require.NoError(t, err)
		require.False(t, on)
		require.NoError(t, a.SetSample(ctx, "x", 100))
		on, err = b.SampleIsActive(ctx, "x")
		require.NoError(t, err)
		require.True(t, on, "no cache: the next read sees the change")
		require.NoError(t, a.SetSample(ctx, "x", 0))
		on, err = b.SampleIsActive(ctx, "x")
		require.NoError(t, err)
		require.False(t, on)
	})
}

func TestSampleCancelledContext(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, counter := h.countingStore(t, &Config{CreateMissingSamples: true})
		_, err := s.SampleIsActive(cancelled(), "x")
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `reading sample "x": context canceled`)
		err = s.SetSample(cancelled(), "x", 100)
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `setting sample "x": context canceled`)
		require.Zero(t, counter.Count(), "a cancelled context runs no statement: %v", counter.Statements())
		_, err = s.GetSample(context.Background(), "x")
		require.ErrorIs(t, err, ErrNotFound, "the cancelled SetSample wrote nothing")
	})
}

func TestSampleInvalidName(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		calls := map[string]func(name string) error{
			"SampleIsActive": func(n string) error { _, err := s.SampleIsActive(ctx, n); return err },
			"SetSample":      func(n string) error { return s.SetSample(ctx, n, 50) },
			"GetSample":      func(n string) error { _, err := s.GetSample(ctx, n); return err },
			"DeleteSample":   func(n string) error { return s.DeleteSample(ctx, n) },
		}
		for call, fn := range calls {
			for _, name := range []string{"", "_x", "set_from_json", "a\nb"} {
				counter.Reset()
				err := fn(name)
				require.ErrorIs(t, err, ErrInvalidName, "%s(%q)", call, name)
				var ne *NameError
				require.ErrorAs(t, err, &ne)
				require.Equal(t, "sample", ne.Kind)
				require.Zero(t, counter.Count(), "%s(%q) sent %v", call, name, counter.Statements())
			}
		}
	})
}

// OwnedSample is an application's custom sample model (SPEC §4a).
type OwnedSample struct {
	Sample
	Owner string
}

func TestCustomSampleModel(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Rand: seq(0.5)})
		// The application's own migration adds its column.
		require.NoError(t, s.db.Migrator().AddColumn(&OwnedSample{}, "Owner"))

		rec := &OwnedSample{Sample: Sample{Name: "trace", Percent: 25, Note: "1 in 4"}, Owner: "observability"}
		require.NoError(t, Save(ctx, s, rec))
		require.NotZero(t, rec.ID)

		got, err := Load[OwnedSample](ctx, s, "trace")
		require.NoError(t, err)
		require.Equal(t, "observability", got.Owner)
		require.Equal(t, 25.0, got.Percent)
		require.Equal(t, "1 in 4", got.Note)

		// The library's own writes leave the owner and the note alone.
		require.NoError(t, s.SetSample(ctx, "trace", 75))
		got, err = Load[OwnedSample](ctx, s, "trace")
		require.NoError(t, err)
		require.Equal(t, "observability", got.Owner)
		require.Equal(t, 75.0, got.Percent)
		require.Equal(t, "1 in 4", got.Note)

		// Save of an existing name updates every column, keeps ID and created.
		got.Owner = "platform"
		require.NoError(t, Save(ctx, s, got))
		all, err := List[OwnedSample](ctx, s)
		require.NoError(t, err)
		require.Len(t, all, 1)
		require.Equal(t, "platform", all[0].Owner)
		require.Equal(t, rec.ID, all[0].ID)
		require.True(t, all[0].Created.Equal(rec.Created), "%v != %v", all[0].Created, rec.Created)

		// Evaluation ignores the extra column: 0.5*100 < 75.
		on, err := s.SampleIsActive(ctx, "trace")
		require.NoError(t, err)
		require.True(t, on)

		// Bad input is refused before any write.
		err = Save(ctx, s, &OwnedSample{Sample: Sample{Name: "_hidden", Percent: 1}})
		require.ErrorIs(t, err, ErrInvalidName)
		err = Save(ctx, s, &OwnedSample{Sample: Sample{Name: "trace", Percent: 101}})
		require.ErrorIs(t, err, ErrInvalidValue)
		got, err = Load[OwnedSample](ctx, s, "trace")
		require.NoError(t, err)
		require.Equal(t, 75.0, got.Percent)
	})
}

// gorm's AutoMigrate of a custom model adds the application's columns and
// leaves the library's schema alone: names stay unique and required, so the
// library's upserts keep working.
func TestCustomModelAutoMigrate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "before", true))
		require.NoError(t, s.db.AutoMigrate(&OwnedSwitch{}, &OwnedSample{}))
		require.NoError(t, s.db.AutoMigrate(&OwnedSwitch{}, &OwnedSample{}), "twice")
		require.True(t, s.db.Migrator().HasColumn(&OwnedSwitch{}, "owner"))
		require.True(t, s.db.Migrator().HasColumn(&OwnedSample{}, "owner"))

		require.NoError(t, s.SetSwitch(ctx, "before", false), "the unique name still backs the upsert")
		require.NoError(t, s.SetSample(ctx, "s", 10))
		require.NoError(t, s.SetSample(ctx, "s", 20))
		require.NoError(t, Save(ctx, s, &OwnedSwitch{Switch: Switch{Name: "before", Active: true}, Owner: "me"}))
		require.NoError(t, Save(ctx, s, &OwnedSample{Sample: Sample{Name: "s", Percent: 30}, Owner: "you"}))
		require.Equal(t, int64(1), countRows(t, s, "waffle_switch"))
		require.Equal(t, int64(1), countRows(t, s, "waffle_sample"))

		// The constraints are still there.
		require.Error(t, s.db.Exec("INSERT INTO waffle_switch (name, active) VALUES ('before', true)").Error, "unique name")
		require.Error(t, s.db.Exec("INSERT INTO waffle_sample (name, percent) VALUES ('p', 101)").Error, "percent check")
		require.Error(t, s.db.Exec("INSERT INTO waffle_sample (name) VALUES ('q')").Error, "percent required")

		got, err := Load[OwnedSample](ctx, s, "s")
		require.NoError(t, err)
		require.Equal(t, "you", got.Owner)
		require.Equal(t, 30.0, got.Percent)
	})
}
