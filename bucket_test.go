package waffle

import (
	"hash/fnv"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// Golden values, computed once when the hash was chosen. If this test fails,
// the bucket of every user changed: users would flip on and off in every
// running percent rollout. Don't update the values; restore the hash.
func TestPercentBucketGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flag, user string
		bucket     float64
	}{
		{"beta", "1", 59.827},
		{"beta", "2", 53.3},
		{"beta", "user-42", 29.154},
		{"checkout", "1", 21.913},
		{"new checkout", "alice@example.com", 52.81},
		{"café", "ünï", 84.409},
		{"a", "", 42.981},
		{"", "a", 63.764},
	}
	for _, c := range cases {
		require.Equal(t, c.bucket, percentBucket(c.flag, c.user), "%q/%q", c.flag, c.user)
		require.Equal(t, c.bucket, referenceBucket(c.flag, c.user), "the documented recipe")
	}
}

// referenceBucket is the recipe of the percentBucket doc comment, written
// with the standard library's FNV.
func referenceBucket(flag, user string) float64 {
	h := fnv.New64a()
	h.Write([]byte(flag))
	h.Write([]byte{0})
	h.Write([]byte(user))
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return float64(x%100000) / 1000
}

func TestPercentBucketDistribution(t *testing.T) {
	t.Parallel()
	const n = 100000
	var deciles [10]int
	both := 0
	for i := range n {
		id := strconv.Itoa(i)
		b := percentBucket("beta", id)
		require.True(t, b >= 0 && b < 100, "bucket %v", b)
		deciles[int(b)/10]++
		if b < 10 && percentBucket("gamma", id) < 10 {
			both++
		}
	}
	for d, c := range deciles {
		// Expected 10,000 each; 3 % off is over 9 standard deviations.
		require.InDelta(t, n/10, c, 300, "decile %d", d)
	}
	// Flags are independent: 10% of one flag's 10% are in another's 10%.
	require.InDelta(t, n/100, both, 150)
}

// Raising a percent keeps everyone who was on.
func TestPercentBucketMonotonic(t *testing.T) {
	t.Parallel()
	on := func(p float64, id string) bool { return percentBucket("rollout", id) < p }
	n10, n20 := 0, 0
	for i := range 1000 {
		id := "user-" + strconv.Itoa(i)
		if on(10, id) {
			n10++
			require.True(t, on(20, id), id)
		}
		if on(20, id) {
			n20++
		}
		require.False(t, on(0, id))
		require.True(t, on(100, id))
	}
	require.InDelta(t, 100, n10, 35)
	require.InDelta(t, 200, n20, 50)
}

func BenchmarkPercentBucket(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		percentBucket("new-checkout", "user-1234567")
	}
}
