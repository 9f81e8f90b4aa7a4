package waffle

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

var errRollback = errors.New("rollback")

// Writes through WithTx roll back with the application's transaction.
func TestWithTxRollback(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.Set(ctx, "kept", "before"))
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.NoError(t, ts.SetSwitch(ctx, "sw", true))
			require.NoError(t, ts.SetSample(ctx, "sm", 50))
			require.NoError(t, ts.Set(ctx, "kept", "changed"))
			require.NoError(t, ts.Set(ctx, "str", "x"))
			require.NoError(t, ts.SetFromJSON(ctx, []byte(`{"bulk1": 1, "bulk2": null}`)))
			require.NoError(t, Save(ctx, ts, &Sample{Name: "saved", Percent: 5}))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)

		for _, table := range []string{"waffle_switch", "waffle_sample"} {
			require.Zero(t, countRows(t, s, table), table)
		}
		require.Equal(t, int64(1), countRows(t, s, "waffle_string_flag"))
		v, err := s.Get(ctx, "kept")
		require.NoError(t, err)
		require.Equal(t, "before", v.String())
	})
}

// Reads through WithTx see the transaction's own writes; other stores see
// them only after the commit.
func TestWithTxReadsOwnWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Rand: seq(0.5)})
		other := h.store(t, nil)
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.NoError(t, ts.SetSwitch(ctx, "sw", true))
			on, err := ts.SwitchIsActive(ctx, "sw")
			require.NoError(t, err)
			require.True(t, on)

			require.NoError(t, ts.SetSample(ctx, "sm", 100))
			on, err = ts.SampleIsActive(ctx, "sm")
			require.NoError(t, err)
			require.True(t, on)
			sm, err := ts.GetSample(ctx, "sm")
			require.NoError(t, err)
			require.Equal(t, 100.0, sm.Percent)

			require.NoError(t, ts.Set(ctx, "str", "inside"))
			v, err := ts.Get(ctx, "str")
			require.NoError(t, err)
			require.Equal(t, "inside", v.String())

			require.NoError(t, ts.SetFromJSON(ctx, []byte(`[{"a": "1"}, {"b": true}]`)))
			v, err = ts.Get(ctx, "b")
			require.NoError(t, err)
			require.Equal(t, "True", v.String())

			v, err = other.Get(ctx, "str")
			require.NoError(t, err)
			require.False(t, v.Found(), "not visible to another store before the commit")
			return nil
		})
		require.NoError(t, err)

		v, err := other.Get(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, "1", v.String(), "SetFromJSON committed with the application's transaction")
		on, err := other.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.True(t, on)
	})
}

// SetFromJSON through WithTx runs in the application's transaction: a later
// failure of the application's rolls the flags back, and bad JSON leaves the
// transaction usable.
func TestWithTxSetFromJSON(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ts := s.WithTx(tx)
			require.ErrorIs(t, ts.SetFromJSON(ctx, []byte(`{"a": [1]}`)), ErrInvalidJSON)
			require.NoError(t, ts.SetFromJSON(ctx, []byte(`{"a": 1, "b": 2}`)))
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, int64(2), countRows(t, s, "waffle_string_flag"))

		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			require.NoError(t, s.WithTx(tx).SetFromJSON(ctx, []byte(`{"a": "changed", "c": 3}`)))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		require.Equal(t, int64(2), countRows(t, s, "waffle_string_flag"))
		v, err := s.Get(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, "1", v.String())
	})
}
