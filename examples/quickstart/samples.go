package main

import (
	"context"
	"fmt"
	"strings"
)

// samples shows samples: on for a percentage of reads, drawn at every read.
func samples(ctx context.Context, t *tour) error {
	store := t.store
	if err := store.SetSample(ctx, "log-details", 25); err != nil {
		return err
	}
	t.println("SetSample(\"log-details\", 25): each read is on with probability 25%.")
	const reads = 20
	var marks strings.Builder
	count := 0
	for range reads {
		on, err := store.SampleIsActive(ctx, "log-details")
		if err != nil {
			return err
		}
		if on {
			count++
			marks.WriteByte('+')
		} else {
			marks.WriteByte('.')
		}
	}
	t.printf("%d reads, a new draw each (+ on, . off): %s: on %d times.\n", reads, marks.String(), count)

	for _, p := range []float64{0, 100} {
		name := fmt.Sprintf("sample-%v", p)
		if err := store.SetSample(ctx, name, p); err != nil {
			return err
		}
		on, err := store.SampleIsActive(ctx, name)
		if err != nil {
			return err
		}
		t.printf("A sample at %v%% reads as %v, always.\n", p, on)
	}

	err := store.SetSample(ctx, "log-details", 150)
	t.printf("A percent outside 0 to 100 is refused and nothing is written: %v\n", err)
	sample, err := store.GetSample(ctx, "log-details")
	if err != nil {
		return err
	}
	t.printf("GetSample(\"log-details\") still says %v%%.\n", sample.Percent)
	return nil
}
