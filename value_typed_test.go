package waffle

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestValueTypedParses(t *testing.T) {
	t.Parallel()
	found := func(s string) Value { return Value{found: true, str: s, name: "f"} }
	missing := Value{name: "f"}

	for _, c := range []struct {
		text string
		n    int64
		ok   bool
	}{{"42", 42, true}, {"-7", -7, true}, {" 1", 0, false}, {"1.5", 0, false}, {"", 0, false}, {"9223372036854775808", 0, false}} {
		n, err := found(c.text).Int()
		if c.ok {
			require.NoError(t, err, c.text)
			require.Equal(t, c.n, n)
		} else {
			var te *TypeError
			require.ErrorAs(t, err, &te, c.text)
			require.Equal(t, "f", te.Name)
			require.Equal(t, "int", te.Type)
			require.ErrorIs(t, err, ErrValueType)
			if c.text != "" {
				require.NotContains(t, err.Error(), c.text, "the text stays out of the message")
			}
			require.Equal(t, int64(5), found(c.text).IntOr(5))
		}
	}

	f, err := found("0.25").Float()
	require.NoError(t, err)
	require.Equal(t, 0.25, f)
	for _, bad := range []string{"NaN", "Inf", "x", ""} {
		_, err := found(bad).Float()
		require.ErrorIs(t, err, ErrValueType, bad)
		require.Equal(t, 1.5, found(bad).FloatOr(1.5))
	}
	require.Equal(t, math.MaxFloat64, found("1.7976931348623157e308").FloatOr(0))

	d, err := found("1m30s").Duration()
	require.NoError(t, err)
	require.Equal(t, 90*time.Second, d)
	_, err = found("90").Duration()
	require.ErrorIs(t, err, ErrValueType)
	require.Equal(t, time.Second, found("soon").DurationOr(time.Second))

	for text, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "1": true, "on": true, "On": true,
		"false": false, "False": false, "0": false, "off": false, "OFF": false, "": false} {
		b, err := found(text).StrictBool()
		require.NoError(t, err, text)
		require.Equal(t, want, b, text)
	}
	for _, bad := range []string{"yes", "no", "2", " true"} {
		_, err := found(bad).StrictBool()
		require.ErrorIs(t, err, ErrValueType, bad)
		require.True(t, found(bad).StrictBoolOr(true))
		require.True(t, found(bad).Bool(), "flagday truthiness: any non-empty text")
	}

	var obj struct{ A int }
	require.NoError(t, found(`{"A":3}`).DecodeJSON(&obj))
	require.Equal(t, 3, obj.A)
	err = found(`{"A":`).DecodeJSON(&obj)
	var te *TypeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "json", te.Type)

	// A missing flag: ErrNoSuchFlag from the strict parses, the default from
	// the Or forms.
	for _, err := range []error{
		func() error { _, err := missing.Int(); return err }(),
		func() error { _, err := missing.Float(); return err }(),
		func() error { _, err := missing.Duration(); return err }(),
		func() error { _, err := missing.StrictBool(); return err }(),
		missing.DecodeJSON(&obj),
	} {
		require.ErrorIs(t, err, ErrNoSuchFlag)
		require.False(t, errors.Is(err, ErrValueType))
	}
	require.Equal(t, int64(3), missing.IntOr(3))
	require.Equal(t, "d", missing.StringOr("d"))
}

// Get's Value names its flag in the typed errors.
func TestGetValueNamesFlag(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.Set(ctx, "limit", "ten"))
		v, err := s.Get(ctx, "limit")
		require.NoError(t, err)
		_, err = v.Int()
		require.ErrorContains(t, err, `"limit"`)
		v, err = s.Get(ctx, "absent")
		require.NoError(t, err)
		_, err = v.Int()
		require.ErrorContains(t, err, `"absent"`)
	})
}
