package waffle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type color string            // a named string without a String method
type level int               // a named integer without a String method
type toggle bool             // a named bool
type ratio float32           // a named float32
type version struct{ n int } // a struct with a pointer String method

func (v *version) String() string { return "v" + strconv.Itoa(v.n) }

type panicky struct{}

func (panicky) String() string { panic("boom") }

func TestStringFlagSet(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		var nilVersion *version
		cases := []struct {
			name string
			v    any
			want string
			null bool
		}{
			{"True", true, "True", false},
			{"False", false, "", false},
			{"Nil", nil, "", true},
			{"String", "blue", "blue", false},
			{"EmptyString", "", "", false},
			{"Unicode", "héllo, 世界 🧇", "héllo, 世界 🧇", false},
			{"Int", 42, "42", false},
			{"NegativeInt", -7, "-7", false},
			{"Int8", int8(-128), "-128", false},
			{"Int16", int16(300), "300", false},
			{"Int32", int32(-5), "-5", false},
			{"Int64Min", int64(math.MinInt64), "-9223372036854775808", false},
			{"Uint", uint(7), "7", false},
			{"Uint8", uint8(255), "255", false},
			{"Uint16", uint16(65535), "65535", false},
			{"Uint32", uint32(4000000000), "4000000000", false},
			{"Uint64Max", uint64(math.MaxUint64), "18446744073709551615", false},
			{"Float64", 0.1, "0.1", false},
			{"Float64Whole", 2.0, "2", false},
			{"Float64Large", 1e21, "1e+21", false},
			{"Float64Small", 1e-7, "1e-07", false},
			{"Float32", float32(0.1), "0.1", false},
			{"Stringer", 1500 * time.Millisecond, "1.5s", false},
			{"PointerStringer", &version{n: 3}, "v3", false},
			{"JSONNumber", json.Number("1.50"), "1.50", false},
			{"NamedString", color("red"), "red", false},
			{"NamedInt", level(3), "3", false},
			{"NamedBoolTrue", toggle(true), "True", false},
			{"NamedBoolFalse", toggle(false), "", false},
			{"NamedFloat32", ratio(0.25), "0.25", false},
			{"NilStringerPointer", nilVersion, "", true},
		}
		for _, c := range cases {
			require.NoError(t, s.Set(ctx, c.name, c.v), c.name)
			v, err := s.Get(ctx, c.name)
			require.NoError(t, err, c.name)
			require.Equal(t, c.want, v.String(), c.name)
			require.Equal(t, !c.null, v.Found(), c.name)
			require.Equal(t, c.null, v.Null(), c.name)
			require.Equal(t, !c.null && c.want != "", v.Bool(), c.name)
		}

		// Set overwrites, NULL included, in place.
		require.NoError(t, s.Set(ctx, "String", nil))
		v, err := s.Get(ctx, "String")
		require.NoError(t, err)
		require.True(t, v.Null())
		require.NoError(t, s.Set(ctx, "String", "green"))
		v, err = s.Get(ctx, "String")
		require.NoError(t, err)
		require.Equal(t, "green", v.String())
		require.Equal(t, int64(len(cases)), countRows(t, s, "waffle_string_flag"))

		require.NoError(t, s.DeleteStringFlag(ctx, "String"))
		require.ErrorIs(t, s.DeleteStringFlag(ctx, "String"), ErrNotFound)
		v, err = s.Get(ctx, "String")
		require.NoError(t, err)
		require.False(t, v.Found())
		require.False(t, v.Null())
	})
}

func TestStringFlagSetRejects(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		require.NoError(t, s.Set(ctx, "f", "before"))
		text := "text"
		var nilInt *int
		cases := []struct {
			name string
			v    any
		}{
			{"Map", map[string]string{"a": "b"}},
			{"Slice", []string{"a"}},
			{"Bytes", []byte("abc")},
			{"Struct", struct{ A int }{1}},
			{"StructValueWithPointerStringer", version{n: 1}},
			{"PointerToString", &text},
			{"NilPointerToInt", nilInt},
			{"Func", func() {}},
			{"Chan", make(chan int)},
			{"Complex", complex(1, 2)},
			{"Error", fmt.Errorf("an error")},
			{"InvalidUTF8", "a\xffb"},
			{"NUL", "a\x00b"},
			{"PanickingStringer", panicky{}},
		}
		for _, c := range cases {
			counter.Reset()
			err := s.Set(ctx, "f", c.v)
			require.ErrorIs(t, err, ErrInvalidValue, c.name)
			var ve *ValueError
			require.ErrorAs(t, err, &ve, c.name)
			require.Equal(t, "f", ve.Name, c.name)
			require.Equal(t, "string flag", ve.Kind, c.name)
			require.Equal(t, "value", ve.Field, c.name)
			require.Zero(t, counter.Count(), "%s sent %v", c.name, counter.Statements())
		}
		v, err := s.Get(ctx, "f")
		require.NoError(t, err)
		require.Equal(t, "before", v.String(), "nothing was written")
	})
}

func TestStringFlagMissingModes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		cases := []struct {
			mode     MissingFlagMode
			wantAny  any
			wantJSON string
		}{
			{"", false, "false"},
			{ReturnFalse, false, "false"},
			{ReturnEmpty, "", `""`},
			{ReturnNone, nil, "null"},
		}
		for _, c := range cases {
			s := h.store(t, &Config{MissingFlagHandling: c.mode})
			require.NoError(t, s.Set(ctx, "null", nil))
			for _, name := range []string{"absent", "null"} {
				v, err := s.Get(ctx, name)
				require.NoError(t, err, "mode %q, %s", c.mode, name)
				require.False(t, v.Found())
				require.True(t, v.Missing())
				require.Equal(t, name == "null", v.Null())
				require.False(t, v.Bool())
				require.Equal(t, "", v.String())
				require.Equal(t, c.wantAny, v.Any(), "mode %q, %s", c.mode, name)
				b, err := json.Marshal(v)
				require.NoError(t, err)
				require.Equal(t, c.wantJSON, string(b), "mode %q, %s", c.mode, name)
			}
			// A stored value is the same in every mode.
			require.NoError(t, s.Set(ctx, "there", "x"))
			v, err := s.Get(ctx, "there")
			require.NoError(t, err)
			require.Equal(t, "x", v.Any())
		}

		s := h.store(t, &Config{MissingFlagHandling: Exception})
		require.NoError(t, s.Set(ctx, "null", nil))
		for _, name := range []string{"absent", "null"} {
			v, err := s.Get(ctx, name)
			require.ErrorIs(t, err, ErrNoSuchFlag, name)
			require.ErrorIs(t, err, ErrNotFound, name)
			var nf *NotFoundError
			require.ErrorAs(t, err, &nf)
			require.Equal(t, name, nf.Name)
			require.Equal(t, "string flag", nf.Kind)
			require.Contains(t, err.Error(), strconv.Quote(name))
			require.False(t, v.Found())
			require.Equal(t, name == "null", v.Null())
		}
		require.NoError(t, s.Set(ctx, "there", ""))
		v, err := s.Get(ctx, "there")
		require.NoError(t, err, "an empty string is a value, not missing")
		require.True(t, v.Found())
		require.False(t, v.Bool())
	})
}

func TestValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		v        Value
		wantBool bool
		wantAny  any
		wantJSON string
		wantStr  string
	}{
		{"Zero", Value{}, false, false, "false", ""},
		{"FoundEmpty", Value{found: true}, false, "", `""`, ""},
		{"FoundTrue", Value{found: true, str: "True"}, true, "True", `"True"`, "True"},
		{"FoundZeroIsTruthy", Value{found: true, str: "0"}, true, "0", `"0"`, "0"},
		{"FoundFalseIsTruthy", Value{found: true, str: "False"}, true, "False", `"False"`, "False"},
		{"FoundEscaped", Value{found: true, str: `a"<b>`}, true, `a"<b>`, `"a\"\u003cb\u003e"`, `a"<b>`},
		{"MissingEmpty", Value{mode: ReturnEmpty}, false, "", `""`, ""},
		{"MissingNone", Value{mode: ReturnNone, null: true}, false, nil, "null", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.wantBool, c.v.Bool())
			require.Equal(t, c.wantAny, c.v.Any())
			require.Equal(t, c.wantStr, c.v.String())
			require.Equal(t, c.wantStr, fmt.Sprint(c.v), "fmt.Stringer")
			b, err := json.Marshal(map[string]Value{"v": c.v})
			require.NoError(t, err)
			require.Equal(t, `{"v":`+c.wantJSON+`}`, string(b))
		})
	}
}

func TestStringFlagInvalidName(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, &Config{MissingFlagHandling: Exception})
		calls := map[string]func(name string) error{
			"Get":    func(n string) error { _, err := s.Get(ctx, n); return err },
			"Set":    func(n string) error { return s.Set(ctx, n, "x") },
			"Delete": func(n string) error { return s.DeleteStringFlag(ctx, n) },
		}
		for call, fn := range calls {
			for _, name := range []string{"", "_private", "set_from_json", "tab\there", "\xff"} {
				counter.Reset()
				err := fn(name)
				require.ErrorIs(t, err, ErrInvalidName, "%s(%q)", call, name)
				require.NotErrorIs(t, err, ErrNoSuchFlag)
				var ne *NameError
				require.ErrorAs(t, err, &ne)
				require.Equal(t, "string flag", ne.Kind)
				require.Equal(t, name == "set_from_json", errors.Is(err, ErrReservedName), name)
				require.Zero(t, counter.Count(), "%s(%q) sent %v", call, name, counter.Statements())
			}
		}
	})
}

// Every string flag read and Set is one statement (with auditing, Set is
// still one on PostgreSQL: TestAuditSetStatements).
func TestStringFlagStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, &Config{DisableAudit: true})
		require.NoError(t, s.Set(ctx, "there", "x"))
		require.NoError(t, s.Set(ctx, "null", nil))
		calls := []struct {
			name string
			call func() error
		}{
			{"GetExisting", func() error { _, err := s.Get(ctx, "there"); return err }},
			{"GetMissing", func() error { _, err := s.Get(ctx, "absent"); return err }},
			{"GetNull", func() error { _, err := s.Get(ctx, "null"); return err }},
			{"Set", func() error { return s.Set(ctx, "there", "y") }},
			{"SampleIsActive", func() error { _, err := s.SampleIsActive(ctx, "absent"); return err }},
			{"SetSample", func() error { return s.SetSample(ctx, "sample", 5) }},
		}
		for _, c := range calls {
			for range 3 {
				counter.Reset()
				require.NoError(t, c.call(), c.name)
				require.Equal(t, int64(1), counter.Count(), "%s sent %v", c.name, counter.Statements())
			}
		}
	})
}

func TestStringFlagCancelledContext(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, counter := h.countingStore(t, nil)
		_, err := s.Get(cancelled(), "x")
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `reading string flag "x"`)
		err = s.Set(cancelled(), "x", "v")
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), `setting string flag "x"`)
		require.Zero(t, counter.Count(), "a cancelled context runs no statement: %v", counter.Statements())
		v, err := s.Get(context.Background(), "x")
		require.NoError(t, err)
		require.False(t, v.Found(), "the cancelled Set wrote nothing")
	})
}

func TestStringFlagConcurrentSet(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		const writers = 16
		stores := []*Store{h.store(t, nil), h.store(t, nil)} // two processes
		var wg sync.WaitGroup
		errs := make([]error, writers)
		written := map[string]bool{}
		for i := range writers {
			val := "value-" + strconv.Itoa(i)
			written[val] = true
			s := stores[i%len(stores)]
			wg.Go(func() { errs[i] = s.Set(ctx, "contended", val) })
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "writer %d", i)
		}
		s := stores[0]
		require.Equal(t, int64(1), countRows(t, s, "waffle_string_flag"), "one row")
		v, err := s.Get(ctx, "contended")
		require.NoError(t, err)
		require.True(t, written[v.String()], "the stored value %q is one of those written", v.String())

		// The last write wins.
		require.NoError(t, stores[1].Set(ctx, "contended", "final"))
		v, err = s.Get(ctx, "contended")
		require.NoError(t, err)
		require.Equal(t, "final", v.String())
	})
}

func TestStringFlagSeenByAnotherStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a, b := h.store(t, nil), h.store(t, nil)
		v, err := b.Get(ctx, "theme")
		require.NoError(t, err)
		require.False(t, v.Found())
		require.NoError(t, a.Set(ctx, "theme", "dark"))
		v, err = b.Get(ctx, "theme")
		require.NoError(t, err)
		require.Equal(t, "dark", v.String(), "no cache: the next read sees the change")
		require.NoError(t, a.SetFromJSON(ctx, []byte(`{"theme": "light"}`)))
		v, err = b.Get(ctx, "theme")
		require.NoError(t, err)
		require.Equal(t, "light", v.String())
	})
}

// countRows returns the number of rows in table.
func countRows(tb testing.TB, s *Store, table string) int64 {
	tb.Helper()
	var n int64
	require.NoError(tb, s.db.Table(table).Count(&n).Error)
	return n
}
