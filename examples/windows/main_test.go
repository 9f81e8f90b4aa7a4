package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWindows(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	want := `The flag "beta" exists; it is off for everyone.
Ada gets beta from 2026-11-03 00:00:00 until 2026-11-10 00:00:00 (window 1; the end is not included).
Before the window (2026-11-02 09:00:00): the sync added 0 and removed 0; beta is off for Ada.
At the start of the window (2026-11-03 00:00:00): the sync added 1 and removed 0; beta is on for Ada.
Three days in (2026-11-06 00:00:00): the sync added 0 and removed 0; beta is on for Ada.
One second before the end (2026-11-09 23:59:59): the sync added 0 and removed 0; beta is on for Ada.
At the end (2026-11-10 00:00:00): the sync added 0 and removed 1; beta is off for Ada.
Ada gets beta again from the next day, with no end.
Two days after the first window (2026-11-12 00:00:00): the sync added 1 and removed 0; beta is on for Ada.
Bob has no window, so beta is off for him.
`
	require.Equal(t, want, out.String())
}
