package waffle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestSetFromJSON(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.Set(ctx, "existing", "old"))
		require.NoError(t, s.Set(ctx, "untouched", "stays"))

		blob := "\uFEFF" + `
		[
			{"text": "hello", "empty": "", "on": true, "off": false, "null": null,
			 "int": 42, "decimal": 1.50, "exp": -2E+03, "negzero": -0, "big": 123456789012345678901234567890,
			 "existing": "new", "escaped": "a\"b\\c\u00e9\n", "twice": "first"},
			{},
			{"twice": "second", "unicode 名前": "値"},
			{"twice": "third", "later": 1e-7}
		]
		`
		require.NoError(t, s.SetFromJSON(ctx, []byte(blob)))
		want := map[string]*string{
			"text": ptr("hello"), "empty": ptr(""), "on": ptr("True"), "off": ptr(""), "null": nil,
			"int": ptr("42"), "decimal": ptr("1.50"), "exp": ptr("-2E+03"), "negzero": ptr("-0"),
			"big": ptr("123456789012345678901234567890"), "existing": ptr("new"), "escaped": ptr("a\"b\\cé\n"),
			"twice": ptr("third"), "unicode 名前": ptr("値"), "later": ptr("1e-7"), "untouched": ptr("stays"),
		}
		for name, w := range want {
			v, err := s.Get(ctx, name)
			require.NoError(t, err, name)
			if w == nil {
				require.True(t, v.Null(), name)
				continue
			}
			require.True(t, v.Found(), name)
			require.Equal(t, *w, v.String(), name)
		}
		require.Equal(t, int64(len(want)), countRows(t, s, "waffle_string_flag"))

		// A later key wins within one object too.
		require.NoError(t, s.SetFromJSON(ctx, []byte(`{"dup": 1, "dup": null, "dup": "last"}`)))
		v, err := s.Get(ctx, "dup")
		require.NoError(t, err)
		require.Equal(t, "last", v.String())

		// Empty objects and arrays are valid and write nothing.
		for _, blob := range []string{`{}`, `[]`, `[{}, {}]`, " \n{ }\t"} {
			require.NoError(t, s.SetFromJSON(ctx, []byte(blob)), blob)
		}
		require.Equal(t, int64(len(want)+1), countRows(t, s, "waffle_string_flag"))
	})
}

func TestSetFromJSONRejects(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", MaxNameLength+1)
	cases := []struct {
		name   string
		blob   string
		key    string // the key the error must name, if any
		offset int64  // the offset it must report; -1: none
		is     error  // a further error it must match
	}{
		{"Empty", ``, "", -1, nil},
		{"Whitespace", " \n\t ", "", -1, nil},
		{"BOMOnly", "\uFEFF", "", -1, nil},
		{"TopLevelNumber", `42`, "", 0, nil},
		{"TopLevelString", ` "x"`, "", 1, nil},
		{"TopLevelTrue", `true`, "", 0, nil},
		{"TopLevelNull", `null`, "", 0, nil},
		{"TopLevelScalarAfterBOM", "\uFEFF7", "", 3, nil},
		{"NestedObject", `{"a": 1, "b": {"c": 1}}`, "b", 14, nil},
		{"NestedArray", `{"a": [1]}`, "a", 6, nil},
		{"NestedEmptyObject", `[{"x": {}}]`, "x", 7, nil},
		{"ArrayOfScalars", `[{"a": 1}, 2]`, "", 11, nil},
		{"ArrayOfArrays", `[[]]`, "", 1, nil},
		{"KeyLeadingUnderscore", `{"ok": 1, "_private": 2}`, "_private", 10, ErrInvalidName},
		{"KeyReserved", `{"set_from_json": 1}`, "set_from_json", 1, ErrReservedName},
		{"KeyEmpty", `{"": 1}`, "", 1, ErrInvalidName},
		{"KeyTooLong", `{"` + long + `": 1}`, long, 1, ErrInvalidName},
		{"KeyControl", `{"a\u0007b": 1}`, "a\ab", 1, ErrInvalidName},
		{"KeyNUL", `{"a\u0000": 1}`, "a\x00", 1, ErrInvalidName},
		{"ValueNUL", `{"a": "x\u0000y"}`, "a", 6, nil},
		{"MissingValue", `{"a": }`, "", 6, nil},
		{"Unterminated", `{"a": 1`, "", 7, nil},
		{"UnterminatedArray", `[{"a": 1}`, "", 9, nil},
		{"TrailingComma", `{"a": 1,}`, "", 8, nil},
		{"SingleQuotes", `{'a': 1}`, "", 1, nil},
		{"BareWord", `{"a": yes}`, "", 6, nil},
		{"TrailingValue", `{"a": 1} {"b": 2}`, "", 9, nil},
		{"TrailingGarbage", `{"a": 1}x`, "", 8, nil},
		{"TrailingBrace", `{"a": 1}}`, "", 8, nil},
		{"InvalidUTF8InString", "{\"a\": \"\xff\"}", "", 7, nil},
		{"InvalidUTF8InKey", "{\"\xc3\": 1}", "", 2, nil},
		{"InvalidUTF8AfterBOM", "\uFEFF{\"a\": \"\xe2\x82\"}", "", 10, nil},
		{"UTF16", "\xff\xfe{\x00}\x00", "", 0, nil},
		// Lone UTF-16 surrogates would become U+FFFD and merge distinct keys.
		{"LoneHighSurrogateValue", `{"a": "\ud800"}`, "a", 7, nil},
		{"LoneLowSurrogateValue", `{"a": "x\udc00"}`, "a", 8, nil},
		{"HighThenNotLow", `{"a": "\ud800\u0041"}`, "a", 7, nil},
		{"HighThenHigh", `{"a": "\ud800\ud800\udc00"}`, "a", 7, nil},
		{"ReversedPair", `{"a": "\udc00\ud800"}`, "a", 7, nil},
		{"LoneSurrogateKey", `{"k\ud800": 1}`, "", 3, nil},
		{"MergingKeys", `{"b\ud800": 1, "b\udbff": 2}`, "", 3, nil},
		{"LoneSurrogateAfterBOM", "\uFEFF" + `{"a": "\uDFFF"}`, "a", 10, nil},
	}
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		require.NoError(t, s.Set(ctx, "a", "before"))
		for _, c := range cases {
			counter.Reset()
			err := s.SetFromJSON(ctx, []byte(c.blob))
			require.ErrorIs(t, err, ErrInvalidJSON, c.name)
			var je *JSONError
			require.ErrorAs(t, err, &je, c.name)
			require.Equal(t, c.key, je.Key, "%s: %v", c.name, err)
			require.Equal(t, c.offset, je.Offset, "%s: %v", c.name, err)
			if c.is != nil {
				require.ErrorIs(t, err, c.is, c.name)
			}
			if c.key != "" {
				require.Contains(t, err.Error(), quoteTrunc(c.key), c.name)
			}
			if c.offset >= 0 {
				require.Contains(t, err.Error(), "offset "+strconv.FormatInt(c.offset, 10), c.name)
			}
			require.Zero(t, counter.Count(), "%s sent %v", c.name, counter.Statements())
		}
		require.Equal(t, int64(1), countRows(t, s, "waffle_string_flag"), "nothing was written")
		v, err := s.Get(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, "before", v.String())
	})
}

// manyFlags returns a JSON object of n flags "flag-0000"... with values "0"...
func manyFlags(n int, edit func(i int, key, value string) (string, string)) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		key, value := fmt.Sprintf("flag-%05d", i), strconv.Quote(strconv.Itoa(i))
		if edit != nil {
			key, value = edit(i, key, value)
		}
		fmt.Fprintf(&b, "%q:%s", key, value)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func TestSetFromJSONBadEntryWritesNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.Set(ctx, "flag-00000", "before"))
		cases := []struct {
			name string
			edit func(i int, key, value string) (string, string)
			key  string
		}{
			{"BadKey", func(i int, key, value string) (string, string) {
				if i == 499 {
					return "_bad", value
				}
				return key, value
			}, "_bad"},
			{"NestedValue", func(i int, key, value string) (string, string) {
				if i == 499 {
					return key, `{"x": 1}`
				}
				return key, value
			}, "flag-00499"},
		}
		for _, c := range cases {
			err := s.SetFromJSON(ctx, manyFlags(1000, c.edit))
			require.ErrorIs(t, err, ErrInvalidJSON, c.name)
			var je *JSONError
			require.ErrorAs(t, err, &je)
			require.Equal(t, c.key, je.Key)
			require.Equal(t, int64(1), countRows(t, s, "waffle_string_flag"), "%s: nothing was written", c.name)
		}
		v, err := s.Get(ctx, "flag-00000")
		require.NoError(t, err)
		require.Equal(t, "before", v.String())
	})
}

// A database error in the middle of the batch leaves the database exactly as
// it was: every row goes in one transaction.
func TestSetFromJSONDatabaseFailureWritesNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.Set(ctx, "flag-00000", "before"))
		// A rule of the application's that the library cannot know about.
		var ddl []string
		if s.Dialect() == "postgres" {
			ddl = []string{`ALTER TABLE waffle_string_flag ADD CONSTRAINT no_boom CHECK (value IS NULL OR value <> 'boom')`}
		} else {
			ddl = []string{`CREATE TRIGGER no_boom BEFORE INSERT ON waffle_string_flag
				WHEN NEW.value = 'boom' BEGIN SELECT RAISE(ABORT, 'no boom'); END`}
		}
		for _, q := range ddl {
			require.NoError(t, s.db.Exec(q).Error)
		}
		blob := manyFlags(1000, func(i int, key, value string) (string, string) {
			if i == 700 {
				return key, `"boom"`
			}
			return key, value
		})
		err := s.SetFromJSON(ctx, blob)
		require.Error(t, err)
		require.NotErrorIs(t, err, ErrInvalidJSON, "a database error, not bad input")
		require.Contains(t, err.Error(), "setting 1000 string flags from JSON")
		require.Equal(t, int64(1), countRows(t, s, "waffle_string_flag"), "nothing was written")
		v, err := s.Get(ctx, "flag-00000")
		require.NoError(t, err)
		require.Equal(t, "before", v.String())
	})
}

// 10,000 names load in a few statements, not 10,000.
func TestSetFromJSONLargeBatch(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		const n = 10000
		counter.Reset()
		require.NoError(t, s.SetFromJSON(ctx, manyFlags(n, func(i int, key, value string) (string, string) {
			if i%1000 == 0 {
				return key, "null"
			}
			return key, value
		})))
		require.LessOrEqual(t, counter.Count(), int64(5), "BEGIN, the table's lock (PostgreSQL), the audit entries' INSERT, one INSERT, COMMIT: %d statements", counter.Count())
		require.Equal(t, int64(n), countRows(t, s, "waffle_string_flag"))
		var nulls int64
		require.NoError(t, s.db.Table("waffle_string_flag").Where("value IS NULL").Count(&nulls).Error)
		require.Equal(t, int64(n/1000), nulls, "NULLs survive the batch")
		for _, i := range []int{1, 4999, 9999} {
			v, err := s.Get(ctx, fmt.Sprintf("flag-%05d", i))
			require.NoError(t, err)
			require.Equal(t, strconv.Itoa(i), v.String())
		}
		v, err := s.Get(ctx, "flag-05000")
		require.NoError(t, err)
		require.True(t, v.Null())

		// Loading it again updates every row in place.
		require.NoError(t, s.SetFromJSON(ctx, manyFlags(n, func(i int, key, _ string) (string, string) {
			return key, `"again"`
		})))
		require.Equal(t, int64(n), countRows(t, s, "waffle_string_flag"))
		v, err = s.Get(ctx, "flag-05000")
		require.NoError(t, err)
		require.Equal(t, "again", v.String())
	})
}

// Input over Config.MaxJSONBytes is refused before it is parsed: even
// invalid JSON gives the size error, and no statement is sent.
func TestSetFromJSONSizeLimit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		small := manyFlags(3, nil) // {"flag-00000":"0",...}: 55 bytes
		s, counter := h.countingStore(t, &Config{MaxJSONBytes: len(small)})
		require.NoError(t, s.SetFromJSON(ctx, small), "exactly at the limit")
		require.Equal(t, int64(3), countRows(t, s, "waffle_string_flag"))

		for _, blob := range [][]byte{
			manyFlags(4, nil),
			append([]byte("{"), make([]byte, len(small))...), // not JSON: never parsed
		} {
			counter.Reset()
			err := s.SetFromJSON(ctx, blob)
			require.ErrorIs(t, err, ErrJSONTooLarge)
			require.ErrorIs(t, err, ErrInvalidJSON)
			var je *JSONError
			require.ErrorAs(t, err, &je)
			require.Equal(t, int64(-1), je.Offset)
			require.Contains(t, err.Error(), "MaxJSONBytes")
			require.Contains(t, err.Error(), strconv.Itoa(len(blob))+" bytes")
			require.Zero(t, counter.Count())
		}
		require.Equal(t, int64(3), countRows(t, s, "waffle_string_flag"))

		// The default is 16 MiB.
		d := h.store(t, nil)
		err := d.SetFromJSON(ctx, make([]byte, 16<<20+1))
		require.ErrorIs(t, err, ErrJSONTooLarge)
	})
}

func TestSetFromJSONCancelledContext(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, counter := h.countingStore(t, nil)
		err := s.SetFromJSON(cancelled(), []byte(`{"a": "1", "b": "2"}`))
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), "setting 2 string flags from JSON")
		require.Zero(t, counter.Count(), "no statement ran: %v", counter.Statements())
		require.Equal(t, int64(0), countRows(t, s, "waffle_string_flag"))

		// Bad input is reported as such even with a cancelled context.
		err = s.SetFromJSON(cancelled(), []byte(`[1]`))
		require.ErrorIs(t, err, ErrInvalidJSON)
		require.False(t, errors.Is(err, context.Canceled))
	})
}

// FuzzSetFromJSON checks that SetFromJSON never panics, and either returns a
// *JSONError and writes nothing, or succeeds and stores every key with the
// mapped value, as an independent decoding of the input says. It runs on
// SQLite only, to stay fast; the seeds run with every `go test`.
func FuzzSetFromJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a": "x", "b": true, "c": false, "d": null, "e": 1.50, "f": -0, "g": 1e400}`,
		`[{"a": 1}, {"a": 2, "b": "y"}, {}]`,
		`{"a": 1, "a": 2}`,
		"\uFEFF{\"bom\": \"ok\"}",
		`{"a": {"b": 1}}`, `{"a": [1]}`, `[1]`, `[[]]`, `[]`, `{}`, ``, ` `, `1`, `"x"`, `null`,
		`{"_a": 1}`, `{"set_from_json": 1}`, `{"": 1}`, `{"a\u0000": 1}`, `{"a": "\u0000"}`,
		`{"a": "\ud800"}`, `{"\u00e9\u4e16": "\ud83e\uddc7"}`, "{\"a\": \"\xff\"}",
		`{"\ud800": 1}`, `{"a": "\udc00"}`, `{"a\ud800b": "x", "a\udbffb": "y"}`, `{"a": "\ud800\u0041"}`,
		`{"a": "\ud800\ud800\udc00"}`, `{"a": "x\\ud800"}`, `[{"a": 1}, {"\udfff": 2}]`,
		`{"a": 1} {"b": 2}`, `{"a": 1}x`, `{"a": 1,}`, `{"a" 1}`, `{"a": 01}`, `{"a": 1.}`, `{"a": -}`,
		`{"` + strings.Repeat("k", 256) + `": 1}`, `{"` + strings.Repeat("世", 255) + `": 1}`,
	} {
		f.Add([]byte(seed))
	}
	ctx := context.Background()
	db := testdb.New(f, testdb.SQLite).Open(f)
	s, err := New(db, nil)
	require.NoError(f, err)
	require.NoError(f, s.Migrate(ctx))

	f.Fuzz(func(t *testing.T, blob []byte) {
		require.NoError(t, db.Exec("DELETE FROM waffle_string_flag").Error)
		err := s.SetFromJSON(ctx, blob)
		want, ok := decodeFlagsReference(blob)
		stored := readAllStringFlags(t, s)
		if err != nil {
			var je *JSONError
			if !errors.As(err, &je) || !errors.Is(err, ErrInvalidJSON) {
				t.Fatalf("SetFromJSON(%q) = %v, want a *JSONError", blob, err)
			}
			if ok {
				t.Fatalf("SetFromJSON(%q) = %v, but the input is valid", blob, err)
			}
			if len(stored) != 0 {
				t.Fatalf("SetFromJSON(%q) failed but wrote %v", blob, stored)
			}
			return
		}
		if !ok {
			t.Fatalf("SetFromJSON(%q) accepted input the reference rejects", blob)
		}
		require.Equal(t, want, stored, "SetFromJSON(%q)", blob)
	})
}

// decodeFlagsReference decodes SetFromJSON's input the plain way (the whole
// value at once, into maps) and maps the values; ok is false for input
// SetFromJSON must reject. nil values stand for NULL.
func decodeFlagsReference(blob []byte) (map[string]*string, bool) {
	blob = bytes.TrimPrefix(blob, []byte("\uFEFF"))
	if !utf8.Valid(blob) || !json.Valid(blob) {
		return nil, false
	}
	// Maps keep only a repeated key's last value: look at every value's
	// nesting and text first.
	depth, nul := scanStructure(blob)
	if nul || hasLoneSurrogate(blob) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(blob))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, false
	}
	var objects []map[string]any
	switch x := top.(type) {
	case map[string]any:
		if depth > 1 {
			return nil, false
		}
		objects = append(objects, x)
	case []any:
		if depth > 2 {
			return nil, false
		}
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			objects = append(objects, m)
		}
	default:
		return nil, false
	}
	out := map[string]*string{}
	for _, m := range objects { // a map keeps each key's last value
		for k, v := range m {
			if !validNameReference(k) {
				return nil, false
			}
			var text string
			switch x := v.(type) {
			case nil:
				out[k] = nil
				continue
			case string:
				text = x
			case bool:
				if x {
					text = "True"
				}
			case json.Number:
				text = string(x)
			default:
				return nil, false
			}
			if strings.ContainsRune(text, 0) {
				return nil, false
			}
			out[k] = &text
		}
	}
	return out, true
}

func readAllStringFlags(tb testing.TB, s *Store) map[string]*string {
	tb.Helper()
	rows, err := s.db.Raw("SELECT name, value FROM waffle_string_flag").Rows()
	require.NoError(tb, err)
	defer rows.Close()
	out := map[string]*string{}
	for rows.Next() {
		var name string
		var value *string
		require.NoError(tb, rows.Scan(&name, &value))
		out[name] = value
	}
	require.NoError(tb, rows.Err())
	return out
}

// hasLoneSurrogate reports whether a string in blob, valid JSON, has a \u
// escape of a UTF-16 surrogate that is not half of a pair.
func hasLoneSurrogate(blob []byte) bool {
	for i := 0; i < len(blob); i++ {
		if blob[i] != '"' {
			continue
		}
		if _, _, lone := loneSurrogate(blob[i:]); lone {
			return true
		}
		j := i + 1
		for j < len(blob) && blob[j] != '"' {
			if blob[j] == '\\' {
				j++
			}
			j++
		}
		i = j
	}
	return false
}

// scanStructure returns the deepest nesting of objects and arrays in blob,
// valid JSON, and whether any string in it holds a NUL character.
func scanStructure(blob []byte) (maxDepth int, nul bool) {
	depth := 0
	for i := 0; i < len(blob); i++ {
		switch blob[i] {
		case '"':
			j := i + 1
			for j < len(blob) && blob[j] != '"' {
				if blob[j] == '\\' {
					j++
				}
				j++
			}
			var str string
			if json.Unmarshal(blob[i:j+1], &str) == nil && strings.ContainsRune(str, 0) {
				nul = true
			}
			i = j
		case '{', '[':
			depth++
			maxDepth = max(maxDepth, depth)
		case '}', ']':
			depth--
		}
	}
	return maxDepth, nul
}
