package waffle

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every read is exactly one statement; a read of an invalid name is none.
// Kinds add their reads to this table.
func TestReadsSendOneStatement(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		require.NoError(t, s.SetSwitch(ctx, "on", true))

		reads := []struct {
			name string
			read func() error
			want int64
		}{
			{"SwitchExisting", func() error { _, err := s.SwitchIsActive(ctx, "on"); return err }, 1},
			{"SwitchMissing", func() error { _, err := s.SwitchIsActive(ctx, "missing"); return err }, 1},
			{"SwitchInvalidName", func() error { _, _ = s.SwitchIsActive(ctx, "_bad"); return nil }, 0},
		}
		for _, r := range reads {
			for range 3 { // the first call also prepares; every call sends one statement
				counter.Reset()
				require.NoError(t, r.read(), r.name)
				require.Equal(t, r.want, counter.Count(), "%s sent %v", r.name, counter.Statements())
			}
		}
	})
}
