package waffle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

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
