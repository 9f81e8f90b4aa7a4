package waffle

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The Or reads answer the caller's default on an error, and log it at most
// once per name and kind of error per interval, counting the rest.
func TestOrReads(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		var logs bytes.Buffer
		var mu sync.Mutex
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s := h.store(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock, FlagDefault: true,
			MissingFlagHandling: Exception})
		setFlagEveryone(t, s, "off", false)
		require.NoError(t, s.SetSwitch(ctx, "on", true))
		require.NoError(t, s.SetSample(ctx, "all", 100))
		require.NoError(t, s.Set(ctx, "limit", "42"))

		// Working database: the stored answers; a missing flag is
		// FlagDefault, not the caller's default, and nothing is logged.
		require.False(t, s.FlagIsActiveOr(ctx, "off", true))
		require.True(t, s.FlagIsActiveOr(ctx, "missing", false))
		require.True(t, s.SwitchIsActiveOr(ctx, "on", false))
		require.True(t, s.SampleIsActiveOr(ctx, "all", false))
		require.Equal(t, "42", s.GetOr(ctx, "limit", "7"))
		require.Equal(t, int64(42), s.Lookup(ctx, "limit").IntOr(7))
		require.Equal(t, "7", s.GetOr(ctx, "nothing", "7"), "missing in Exception mode")
		require.Empty(t, logs.String())

		// An invalid name is an error: the default, logged.
		require.True(t, s.SwitchIsActiveOr(ctx, "_bad", true))
		require.Contains(t, logs.String(), "invalid switch name")

		// The database is down: every read answers the default.
		db, err := s.db.DB()
		require.NoError(t, err)
		require.NoError(t, db.Close())
		logs.Reset()
		for range 5 {
			require.True(t, s.FlagIsActiveOr(ctx, "off", true))
			require.False(t, s.SwitchIsActiveOr(ctx, "on", false))
			require.False(t, s.SampleIsActiveOr(ctx, "all", false))
			require.Equal(t, "7", s.GetOr(ctx, "limit", "7"))
			require.Equal(t, 3*time.Second, s.Lookup(ctx, "limit").DurationOr(3*time.Second))
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		require.Len(t, lines, 4, "one record per name and error:\n%s", logs.String())
		require.Contains(t, lines[0], "suppressed=0")

		// After the interval, the next record counts what was held back.
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		logs.Reset()
		require.True(t, s.FlagIsActiveOr(ctx, "off", true))
		require.Contains(t, logs.String(), "suppressed=4")
		require.Contains(t, logs.String(), "name=off")
	})
}

func TestErrLimiterBoundsMemory(t *testing.T) {
	t.Parallel()
	var l errLimiter
	now := time.Now()
	for i := range 3 * errLimiterMax {
		_, ok := l.allow(errLogKey{kind: "flag", name: strings.Repeat("x", i%200) + string(rune('a'+i%26)) + time.Duration(i).String()}, now, time.Minute)
		require.True(t, ok)
	}
	require.LessOrEqual(t, len(l.m), errLimiterMax)
}
