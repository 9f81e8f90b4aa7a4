package waffletest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

// Overrides on a store bound to the test's transaction run inside it; with
// the rollback registered first, the overrides are undone inside the
// transaction before it ends, without an error (the subtest would fail).
func TestOverridesInsideTransaction(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"SQLite", "Postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := memoryDB(t)
			if kind == "Postgres" {
				db = dbOnPostgres(t)
			}
			ctx := context.Background()
			s, err := waffle.New(db, nil)
			require.NoError(t, err)
			require.NoError(t, s.Migrate(ctx))
			require.NoError(t, waffle.Save(ctx, s, &waffle.Switch{Name: "sw", Note: "n"}))
			require.NoError(t, s.SaveFlag(ctx, &waffle.Flag{Name: "f", Staff: true}))

			t.Run("Test", func(t *testing.T) {
				tx := db.Begin()
				require.NoError(t, tx.Error)
				t.Cleanup(func() { tx.Rollback() })
				txs := s.WithTx(tx)
				OverrideSwitch(t, txs, "sw", true)
				OverrideSample(t, txs, "sm", 100)
				OverrideString(t, txs, "str", "v")
				OverrideFlag(t, txs, "f", On())
				on, err := txs.SwitchIsActive(ctx, "sw")
				require.NoError(t, err)
				require.True(t, on, "inside the transaction")
				on, err = txs.FlagIsActive(ctx, "f")
				require.NoError(t, err)
				require.True(t, on)
			})
			sw, err := s.GetSwitch(ctx, "sw")
			require.NoError(t, err)
			require.False(t, sw.Active)
			require.Equal(t, "n", sw.Note)
			_, err = s.GetSample(ctx, "sm")
			require.ErrorIs(t, err, waffle.ErrNotFound)
			f, err := s.GetFlag(ctx, "f")
			require.NoError(t, err)
			require.Nil(t, f.Everyone)
		})
	}
}
