package waffle

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// benchStore returns a migrated Store on a new database of kind.
func benchStore(b *testing.B, kind string) *Store {
	b.Helper()
	h := &harness{db: testdb.New(b, kind)}
	h.migrate(b)
	return h.store(b, nil)
}

func eachKind(b *testing.B, fn func(b *testing.B, s *Store)) {
	for _, kind := range testdb.Kinds {
		b.Run(testdb.KindName(kind), func(b *testing.B) { fn(b, benchStore(b, kind)) })
	}
}

// BenchmarkGet: one prepared statement per read.
func BenchmarkGet(b *testing.B) {
	eachKind(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		require.NoError(b, s.Set(ctx, "theme", "dark"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Get(ctx, "theme"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSampleIsActive: one prepared statement and one draw per read.
func BenchmarkSampleIsActive(b *testing.B) {
	eachKind(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		require.NoError(b, s.SetSample(ctx, "s", 50))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.SampleIsActive(ctx, "s"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSetFromJSON10k: 10,000 names in one transaction.
func BenchmarkSetFromJSON10k(b *testing.B) {
	blob := manyFlags(10000, nil)
	eachKind(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		b.SetBytes(int64(len(blob)))
		for b.Loop() {
			if err := s.SetFromJSON(ctx, blob); err != nil {
				b.Fatal(err)
			}
		}
	})
}
