package waffle

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestListStringFlags(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 6, 0, 0, 123456789, time.UTC)
		s := h.store(t, &Config{Now: func() time.Time { return now }})
		got, err := s.ListStringFlags(ctx)
		require.NoError(t, err)
		require.Empty(t, got)

		long := strings.Repeat("名", MaxNameLength)
		for name, v := range map[string]any{"b": "two", "a": "", "Z": nil, long: "ünï", "c": true} {
			require.NoError(t, s.Set(ctx, name, v))
		}
		got, err = s.ListStringFlags(ctx)
		require.NoError(t, err)
		var names []string
		for _, f := range got {
			names = append(names, f.Name)
			require.Equal(t, now.Truncate(time.Microsecond), f.Created, f.Name)
			require.Equal(t, now.Truncate(time.Microsecond), f.Modified, f.Name)
		}
		require.Equal(t, []string{"Z", "a", "b", "c", long}, names, "byte order on every database")
		require.Nil(t, got[0].Value, "NULL")
		require.Equal(t, "", *got[1].Value)
		require.Equal(t, "two", *got[2].Value)
		require.Equal(t, "True", *got[3].Value)
		require.Equal(t, "ünï", *got[4].Value)
	})
}

func TestListStringFlagsCancelled(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		_, err := h.store(t, nil).ListStringFlags(cancelled())
		require.ErrorIs(t, err, context.Canceled)
	})
}
