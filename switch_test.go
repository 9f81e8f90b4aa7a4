package waffle

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSwitch(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)

		on, err := s.SwitchIsActive(ctx, "beta")
		require.NoError(t, err)
		require.False(t, on, "a missing switch reads as SwitchDefault")

		require.NoError(t, s.SetSwitch(ctx, "beta", true))
		on, err = s.SwitchIsActive(ctx, "beta")
		require.NoError(t, err)
		require.True(t, on)

		sw, err := s.GetSwitch(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, "beta", sw.Name)
		require.True(t, sw.Active)
		require.NotZero(t, sw.ID)
		require.False(t, sw.Created.IsZero())

		require.NoError(t, s.SetSwitch(ctx, "beta", false))
		on, err = s.SwitchIsActive(ctx, "beta")
		require.NoError(t, err)
		require.False(t, on)

		require.NoError(t, s.SetSwitch(ctx, "alpha", true))
		list, err := s.ListSwitches(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "alpha", list[0].Name)
		require.Equal(t, "beta", list[1].Name)

		require.NoError(t, s.DeleteSwitch(ctx, "beta"))
		require.ErrorIs(t, s.DeleteSwitch(ctx, "beta"), ErrNotFound)
		_, err = s.GetSwitch(ctx, "beta")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestSwitchMissing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		var logs bytes.Buffer
		s := h.store(t, &Config{
			SwitchDefault:         true,
			CreateMissingSwitches: true,
			LogMissingSwitches:    slog.LevelWarn,
			Logger:                slog.New(slog.NewTextHandler(&logs, nil)),
		})
		on, err := s.SwitchIsActive(ctx, "ghost")
		require.NoError(t, err)
		require.True(t, on, "SwitchDefault")
		require.Contains(t, logs.String(), "level=WARN")
		require.Contains(t, logs.String(), "name=ghost")

		sw, err := s.GetSwitch(ctx, "ghost")
		require.NoError(t, err, "CreateMissingSwitches created it")
		require.True(t, sw.Active, "created with SwitchDefault")

		// Now it exists: its row decides, and nothing more is logged.
		require.NoError(t, s.SetSwitch(ctx, "ghost", false))
		logs.Reset()
		on, err = s.SwitchIsActive(ctx, "ghost")
		require.NoError(t, err)
		require.False(t, on)
		require.Empty(t, logs.String())

		// Without the settings nothing is logged or created.
		logs.Reset()
		quiet := h.store(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		on, err = quiet.SwitchIsActive(ctx, "quiet")
		require.NoError(t, err)
		require.False(t, on)
		require.Empty(t, logs.String())
		_, err = quiet.GetSwitch(ctx, "quiet")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestSwitchSeenByAnotherStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a, b := h.store(t, nil), h.store(t, nil)
		on, err := b.SwitchIsActive(ctx, "x")
		require.NoError(t, err)
		require.False(t, on)
		require.NoError(t, a.SetSwitch(ctx, "x", true))
		on, err = b.SwitchIsActive(ctx, "x")
		require.NoError(t, err)
		require.True(t, on, "no cache: the next read sees the change")
	})
}

func TestSwitchCancelledContext(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, counter := h.countingStore(t, &Config{CreateMissingSwitches: true})
		_, err := s.SwitchIsActive(cancelled(), "x")
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `reading switch "x": context canceled`)
		err = s.SetSwitch(cancelled(), "x", true)
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `setting switch "x": context canceled`)
		require.Zero(t, counter.Count(), "a cancelled context runs no statement: %v", counter.Statements())
		on, err := s.SwitchIsActive(context.Background(), "x")
		require.NoError(t, err)
		require.False(t, on, "the cancelled SetSwitch wrote nothing")
	})
}

// OwnedSwitch is an application's custom switch model (SPEC §4a).
type OwnedSwitch struct {
	Switch
	Owner string
}

func TestCustomSwitchModel(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		// The application's own migration adds its column.
		require.NoError(t, s.db.Migrator().AddColumn(&OwnedSwitch{}, "Owner"))

		rec := &OwnedSwitch{Switch: Switch{Name: "checkout", Active: true, Note: "new flow"}, Owner: "payments"}
		require.NoError(t, Save(ctx, s, rec))
		require.NotZero(t, rec.ID)

		got, err := Load[OwnedSwitch](ctx, s, "checkout")
		require.NoError(t, err)
		require.Equal(t, "payments", got.Owner)
		require.True(t, got.Active)
		require.Equal(t, "new flow", got.Note)

		// The library's own writes leave the owner alone.
		require.NoError(t, s.SetSwitch(ctx, "checkout", false))
		got, err = Load[OwnedSwitch](ctx, s, "checkout")
		require.NoError(t, err)
		require.Equal(t, "payments", got.Owner)
		require.False(t, got.Active)
		require.Equal(t, "new flow", got.Note)

		// Save of an existing name updates every column, keeps ID and created.
		got.Owner = "growth"
		require.NoError(t, Save(ctx, s, got))
		all, err := List[OwnedSwitch](ctx, s)
		require.NoError(t, err)
		require.Len(t, all, 1)
		require.Equal(t, "growth", all[0].Owner)
		require.Equal(t, rec.ID, all[0].ID)
		require.True(t, all[0].Created.Equal(rec.Created), "%v != %v", all[0].Created, rec.Created)

		// Evaluation ignores the extra column.
		on, err := s.SwitchIsActive(ctx, "checkout")
		require.NoError(t, err)
		require.False(t, on)

		// Bad input is refused before any write.
		err = Save(ctx, s, &OwnedSwitch{Switch: Switch{Name: "_hidden"}})
		require.ErrorIs(t, err, ErrInvalidName)
	})
}
