package waffle

import (
	"context"
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

func benchSetFromJSON(b *testing.B, d *benchDB) {
	ctx := benchCtx(b)
	// 10,000 keys: strings mostly, and the other JSON scalars.
	doc := make(map[string]any, benchBulkKeys)
	names := make([]string, benchBulkKeys)
	values := make([]*string, benchBulkKeys)
	for i := range benchBulkKeys {
		names[i] = fmt.Sprintf("bulk-%05d", i)
		var v any
		var text *string
		switch i % 10 {
		case 7:
			v, text = true, strPtr("True")
		case 8:
			v, text = nil, nil
		case 9:
			v, text = i, strPtr(strconv.Itoa(i))
		default:
			v, text = fmt.Sprintf("value-%d", i), strPtr(fmt.Sprintf("value-%d", i))
		}
		doc[names[i]], values[i] = v, text
	}
	blob, err := json.Marshal(doc)
	require.NoError(b, err)
	batch := newBaselineBatch(d)

	benchImpls(b, true,
		impl[bool]{"Baseline", func() (bool, error) {
			return true, batch.write(ctx, names, values)
		}},
		impl[bool]{"Library", func() (bool, error) {
			return true, d.store.SetFromJSON(ctx, blob)
		}},
		impl[bool]{"Naive", func() (bool, error) {
			var m map[string]any
			if err := json.Unmarshal(blob, &m); err != nil {
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
			for i, name := range names {
				var v any
				if values[i] != nil {
					v = *values[i]
				}
				if err := d.store.Set(ctx, name, v); err != nil {
					return false, err
				}
			}
			return true, nil
		}},
	)
	for _, i := range []int{0, 7, 8, 9} {
		v, err := d.store.Get(context.Background(), names[i])
		require.NoError(b, err)
		if values[i] == nil {
			require.True(b, v.Missing(), names[i])
		} else {
			require.Equal(b, *values[i], v.String(), names[i])
		}
	}
}

func strPtr(s string) *string { return &s }
