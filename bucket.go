package waffle

import "github.com/gowaffle/waffle/internal/bucket"

// percentBucket places a user on a flag's 0–100 scale: an identified user is
// on at percent p iff percentBucket(flag, user) < p (see [bucket.Percent]).
func percentBucket(flag, user string) float64 { return bucket.Percent(flag, user) }
