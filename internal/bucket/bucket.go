// Package bucket holds the hash that places a user on a flag's percent
// scale, shared by the library and its benchmarks.
package bucket

// Percent places a user on a flag's 0–100 scale: an identified user is
// on at percent p iff Percent(flag, user) < p. The bucket depends only
// on the flag name and the user ID, so every process, every store and every
// request gives a user the same answer, and raising a percent keeps everyone
// who was already on (10% ⊂ 20%).
//
// The hash, which must never change (golden values in the root package's
// bucket_test.go): the 64-bit FNV-1a hash of the flag name's UTF-8 bytes, one 0x00 byte, and the
// user ID's UTF-8 bytes (offset basis 14695981039346656037, prime
// 1099511628211), then the MurmurHash3 fmix64 finaliser (h ^= h >> 33;
// h *= 0xff51afd7ed558ccd; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53;
// h ^= h >> 33) for an even spread, then h mod 100000 divided by 1000: a
// bucket in [0, 100) in steps of 0.001, finer than the one decimal place of
// django-waffle's percents. It allocates nothing.
func Percent(flag, user string) float64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(flag); i++ {
		h ^= uint64(flag[i])
		h *= prime64
	}
	h *= prime64 // the 0x00 separator: h ^= 0 is a no-op
	for i := 0; i < len(user); i++ {
		h ^= uint64(user[i])
		h *= prime64
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return float64(h%100000) / 1000
}
