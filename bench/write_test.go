package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

// benchBulkKeys is the number of keys SetFromJSON writes per operation.
const benchBulkKeys = 10000

// Writes: Set of one string flag, and SetFromJSON of 10,000 keys beside a
// hand-written batched INSERT ... ON CONFLICT of the same rows in one
// transaction (Baseline), GORM by hand (Naive) and 10,000 separate Set calls
// (SetLoop).
func BenchmarkWrite(b *testing.B) {
	benchEachDB(b, func(b *testing.B, d *benchDB) {
		b.Run("op=Set", func(b *testing.B) { benchSet(b, d) })
		b.Run("op=SetFromJSON", func(b *testing.B) { benchSetFromJSON(b, d) })
	})
}

func benchSet(b *testing.B, d *benchDB) {
	ctx := benchCtx(b)
	stmt := d.prepare(b, "INSERT INTO waffle_string_flag (name, value, created, modified) VALUES ($1, $2, $3, $3) "+
		"ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified")
	const name, value = "bench-set", "green"
	benchImpls(b, true,
		impl[bool]{"Baseline", func() (bool, error) {
			return true, baselineSet(ctx, stmt, name, value)
		}},
		impl[bool]{"Library", func() (bool, error) {
			return true, d.store.Set(ctx, name, value)
		}},
		impl[bool]{"Naive", func() (bool, error) {
			var f naiveStringFlag
			now := time.Now().UTC()
			err := d.gdb.WithContext(ctx).Where(naiveStringFlag{Name: name}).
				Attrs(naiveStringFlag{Created: now}).
				Assign(map[string]any{"value": value, "modified": now}).FirstOrCreate(&f).Error
			return true, err
		}},
	)
	v, err := d.store.Get(ctx, name)
	require.NoError(b, err)
	require.Equal(b, value, v.String())
}

// bulkVersion is one version of SetFromJSON's 10,000 keys: the JSON
// document, and the same rows as names and values for the Baseline.
type bulkVersion struct {
	blob   []byte
	names  []string
	values []*string // nil for JSON null
}

// newBulkVersion returns version v of the keys: strings mostly, and the
// other JSON scalars. Two versions differ in every value, so that writing
// them in turn changes every row at every operation.
func newBulkVersion(b *testing.B, v int) bulkVersion {
	doc := make(map[string]any, benchBulkKeys)
	bv := bulkVersion{names: make([]string, benchBulkKeys), values: make([]*string, benchBulkKeys)}
	for i := range benchBulkKeys {
		name := fmt.Sprintf("bulk-%05d", i)
		var val any
		var text *string
		switch {
		case i%10 == 7 && v == 0:
			val, text = true, strPtr("True")
		case i%10 == 7:
			val, text = false, strPtr("")
		case i%10 == 8 && v == 0:
			val, text = nil, nil
		case i%10 == 8:
			val, text = "x", strPtr("x")
		case i%10 == 9:
			val, text = 10*i+v, strPtr(strconv.Itoa(10*i+v))
		default:
			s := fmt.Sprintf("value-%d-%d", i, v)
			val, text = s, &s
		}
		doc[name], bv.names[i], bv.values[i] = val, name, text
	}
	blob, err := json.Marshal(doc)
	require.NoError(b, err)
	bv.blob = blob
	return bv
}

func benchSetFromJSON(b *testing.B, d *benchDB) {
	ctx := benchCtx(b)
	versions := []bulkVersion{newBulkVersion(b, 0), newBulkVersion(b, 1)}
	batch := newBaselineBatch(d)
	// Each implementation writes the versions in turn: every operation
	// changes all 10,000 rows.
	next := func(n *int) bulkVersion {
		*n++
		return versions[*n%2]
	}
	var nBase, nLib, nNaive, nLoop int

	benchImpls(b, true,
		impl[bool]{"Baseline", func() (bool, error) {
			v := next(&nBase)
			return true, batch.write(ctx, v.names, v.values)
		}},
		impl[bool]{"Library", func() (bool, error) {
			return true, d.store.SetFromJSON(ctx, next(&nLib).blob)
		}},
		impl[bool]{"Naive", func() (bool, error) {
			var m map[string]any
			if err := json.Unmarshal(next(&nNaive).blob, &m); err != nil {
				return false, err
			}
			now := time.Now().UTC()
			return true, d.gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				for k, v := range m {
					var text *string
					switch v := v.(type) {
					case string:
						text = &v
					case bool:
						text = strPtr("")
						if v {
							text = strPtr("True")
						}
					case float64:
						text = strPtr(strconv.FormatFloat(v, 'f', -1, 64))
					}
					var f naiveStringFlag
					err := tx.Where(naiveStringFlag{Name: k}).Attrs(naiveStringFlag{Created: now}).
						Assign(map[string]any{"value": text, "modified": now}).FirstOrCreate(&f).Error
					if err != nil {
						return err
					}
				}
				return nil
			})
		}},
		impl[bool]{"SetLoop", func() (bool, error) {
			v := next(&nLoop)
			for i, name := range v.names {
				var val any
				if v.values[i] != nil {
					val = *v.values[i]
				}
				if err := d.store.Set(ctx, name, val); err != nil {
					return false, err
				}
			}
			return true, nil
		}},
	)
	// The last writer wrote one of the versions, whole.
	last, err := d.store.Get(ctx, "bulk-00000")
	require.NoError(b, err)
	v := versions[0]
	if last.String() == *versions[1].values[0] {
		v = versions[1]
	}
	for _, i := range []int{0, 7, 8, 9, benchBulkKeys - 1} {
		got, err := d.store.Get(ctx, v.names[i])
		require.NoError(b, err)
		if v.values[i] == nil {
			require.True(b, got.Missing(), v.names[i])
		} else {
			require.Equal(b, *v.values[i], got.String(), v.names[i])
		}
	}
}

func strPtr(s string) *string { return &s }
