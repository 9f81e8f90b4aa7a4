package waffle

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// saveFlag stores f through the public API.
func saveFlag(t *testing.T, s *Store, f Flag) {
	t.Helper()
	require.NoError(t, s.SaveFlag(context.Background(), &f))
}

// setFlagEveryone stores a flag that is on or off for everyone.
func setFlagEveryone(t *testing.T, s *Store, name string, on bool) {
	t.Helper()
	saveFlag(t, s, Flag{Name: name, Everyone: &on})
}

// fixedRand returns a Config.Rand that always draws r.
func fixedRand(r float64) func() float64 { return func() float64 { return r } }
