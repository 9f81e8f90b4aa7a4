package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// BenchmarkStore measures single Store calls on a small database, without a
// baseline beside them: op=Get and op=SampleIsActive run one prepared
// statement per read (and SampleIsActive one draw), op=SetFromJSON writes
// 10,000 string flags in one transaction.
func BenchmarkStore(b *testing.B) {
	blob := jsonFlags(10000)
	for _, kind := range testdb.Kinds {
		b.Run("db="+testdb.KindName(kind), func(b *testing.B) {
			s := newStore(b, kind, nil)
			ctx := context.Background()
			require.NoError(b, s.Set(ctx, "theme", "dark"))
			require.NoError(b, s.SetSample(ctx, "s", 50))
			b.Run("op=Get", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Get(ctx, "theme"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("op=SampleIsActive", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.SampleIsActive(ctx, "s"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("op=SetFromJSON/keys=10000", func(b *testing.B) {
				b.SetBytes(int64(len(blob)))
				for b.Loop() {
					if err := s.SetFromJSON(ctx, blob); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// jsonFlags returns a JSON object of n string flags: "flag-00000": "0", ...
func jsonFlags(n int) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%q", fmt.Sprintf("flag-%05d", i), strconv.Itoa(i))
	}
	b.WriteByte('}')
	return []byte(b.String())
}
