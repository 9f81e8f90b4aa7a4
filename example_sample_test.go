package waffle_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/gowaffle/waffle"
)

// A sample is on for a percentage of reads, drawn anew at every read.
// Config.Rand is the draw; a seeded source makes this example's output
// fixed. (Config.Rand must be safe for concurrent use: a *rand.Rand is not,
// hence the lock.)
func ExampleStore_SampleIsActive_seeded() {
	var mu sync.Mutex
	src := rand.New(rand.NewPCG(1, 2))
	draw := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return src.Float64()
	}
	store, cleanup := exampleStore(&waffle.Config{Rand: draw})
	defer cleanup()
	ctx := context.Background()

	if err := store.SetSample(ctx, "slow_log", 25); err != nil {
		fmt.Println(err)
		return
	}
	on := 0
	for range 1000 {
		if active, _ := store.SampleIsActive(ctx, "slow_log"); active {
			on++
		}
	}
	fmt.Printf("on for %d of 1000 reads\n", on)

	// 0 is never on, 100 always.
	_ = store.SetSample(ctx, "never", 0)
	_ = store.SetSample(ctx, "always", 100)
	never, _ := store.SampleIsActive(ctx, "never")
	always, _ := store.SampleIsActive(ctx, "always")
	fmt.Println(never, always)

	fmt.Println(store.SetSample(ctx, "slow_log", 101))
	// Output:
	// on for 257 of 1000 reads
	// false true
	// waffle: invalid percent of sample "slow_log": must be from 0 to 100, got 101
}

func ExampleStore_SampleIsActive() {
	ctx := context.Background()
	draws := []float64{0.10, 0.95}
	store, done := exampleStore(&waffle.Config{Rand: func() float64 {
		r := draws[0]
		draws = draws[1:]
		return r
	}})
	defer done()

	_ = store.SetSample(ctx, "log-details", 25)
	for range 2 {
		on, _ := store.SampleIsActive(ctx, "log-details")
		fmt.Println(on)
	}
	fmt.Println(store.SetSample(ctx, "log-details", 101))
	// Output:
	// true
	// false
	// waffle: invalid percent of sample "log-details": must be from 0 to 100, got 101
}
