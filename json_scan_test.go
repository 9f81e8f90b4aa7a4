package waffle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// scanSeeds are documents where a scanner can go wrong: escapes, UTF-16
// surrogates (paired, lone, reversed, followed by a bad escape), number
// forms, syntax errors after semantic ones, and the reverse.
var scanSeeds = []string{
	`{"a": "x", "b": true, "c": false, "d": null, "e": 1.50, "f": -0, "g": 1e400, "h": -2E+03, "i": 0.5e-7}`,
	`[{"a": 1}, {"a": 2, "b": "y"}, {}]`, ` [ { } , { "a" : 1 } ] `, "\t\r\n{\"a\"\n:\r1\t}\n",
	`{"a": 1, "a": 2}`, `{"a": 1, "a": null, "a": "last"}`,
	"\uFEFF{\"bom\": \"ok\"}", "\uFEFF", "\uFEFF7", "\uFEFF\uFEFF{}",
	`{"a": {"b": 1}}`, `{"a": [1]}`, `[1]`, `[[]]`, `[]`, `{}`, ``, ` `, `1`, `"x"`, `null`, `true`, `-`,
	`{"_a": 1}`, `{"set_from_json": 1}`, `{"": 1}`, `{"a\u0000": 1}`, `{"a": "\u0000"}`, `{"a": "x\u0000y"}`,
	`{"a": "\ud800"}`, `{"a": "\udc00\ud800"}`, `{"a": "\ud800\udc00"}`, `{"a": "\ud83e\uddc7x"}`,
	`{"a": "\ud800\u0041"}`, `{"a": "\ud800\ud800\udc00"}`, `{"a": "\ud800\"}`, `{"a": "\ud800\u12"}`,
	`{"a": "\ud800\uzzzz"}`, `{"a": "\ud800x"}`, `{"a": "\u00e9\u4E16\/\b\f\n\r\t\"\\"}`, `{"a": "\x"}`,
	`{"a": "\u12"}`, `{"a": "\`, `{"a": "\u`, `{"\u00e9\u4e16": "\ud83e\uddc7"}`, "{\"a\": \"\xff\"}",
	"{\"a\": \"tab\there\"}", "{\"a\": \"nl\nhere\"}", `{"a\"b": 1}`, `{"a\\": 1}`,
	`{"a": 1} {"b": 2}`, `{"a": 1}x`, `{"a": 1}}`, `{"a": 1,}`, `{"a" 1}`, `{"a": 01}`, `{"a": 1.}`,
	`{"a": -}`, `{"a": .5}`, `{"a": 1e}`, `{"a": 1e+}`, `{"a": +1}`, `{"a": -01}`, `{"a": 1.5e3.2}`,
	`{"a": tru}`, `{"a": truex}`, `{"a": nul}`, `{"a": falsey}`, `{"a": True}`, `{a: 1}`, `{'a': 1}`,
	`{"a": 1 "b": 2}`, `{"a": 1,, "b": 2}`, `{,"a": 1}`, `[{"a": 1},]`, `[,{"a": 1}]`, `[{"a": 1} {"b": 2}]`,
	`{"_bad": 1, "x": }`, `{"a": {}, "b": }`, `[{"a": 1}, 2, ]`, `[2, {]`, `{"a": [}`, `{"_x": {"y": 1}}`,
	`{"a": "\u0000", "_b": 1}`, `{"_b": "\u0000"}`, `[{"a": 1}, "x"]`, `[{"a": 1}, null]`, `[{"a": 1}, [1]]`,
	`[{"a": 1}, -1]`, `[{"a": 1}, true]`, `{"a": 1}` + strings.Repeat(" ", 3), `{"a": 1`, `[{"a": 1}`, `[`, `{`,
	`{"` + strings.Repeat("k", 255) + `": 1}`, `{"` + strings.Repeat("k", 256) + `": 1}`,
	`{"` + strings.Repeat("世", 255) + `": 1}`, `{"` + strings.Repeat("\\u4e16", 256) + `": 1}`,
	`{"a": 1}` + "\x00", "{\"a\": 1}\xff", "\xff\xfe{\x00}\x00", `{"a` + "\u2028" + `": "` + "\u2029\x7f" + `"}`,
	// Nesting beyond encoding/json's limit of 10,000 levels.
	`[` + strings.Repeat(`[`, 10001) + `]`, `{"a": ` + strings.Repeat(`[`, 10001) + `}`,
}

// FuzzParseStringFlags checks that the scanner gives exactly what the
// reference implementation on encoding/json's tokens gives: the same names,
// values and NULLs in the same order, or the same error (key, offset,
// reason, cause).
func FuzzParseStringFlags(f *testing.F) {
	for _, seed := range scanSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		requireSameParse(t, blob)
	})
}

func requireSameParse(t *testing.T, blob []byte) {
	t.Helper()
	got, gotErr := parseStringFlags(blob)
	want, wantErr := parseStringFlagsTokens(blob)
	if wantErr != nil {
		require.Error(t, gotErr, "%q: the reference says %v", blob, wantErr)
		require.Equal(t, wantErr.Error(), gotErr.Error(), "%q", blob)
		var g, w *JSONError
		require.ErrorAs(t, gotErr, &g, "%q", blob)
		require.ErrorAs(t, wantErr, &w, "%q", blob)
		require.Equal(t, w.Key, g.Key, "%q", blob)
		require.Equal(t, w.Offset, g.Offset, "%q", blob)
		require.Equal(t, fmt.Sprintf("%T", w.Err), fmt.Sprintf("%T", g.Err), "%q", blob)
		for _, target := range []error{ErrInvalidJSON, ErrInvalidName, ErrReservedName} {
			require.Equal(t, errors.Is(wantErr, target), errors.Is(gotErr, target), "%q: %v", blob, target)
		}
		return
	}
	require.NoError(t, gotErr, "%q", blob)
	// Compared with append so that nil and empty slices are equal.
	require.Equal(t, append([]string{}, want.names...), append([]string{}, got.names...), "%q", blob)
	require.Equal(t, append([]string{}, want.values...), append([]string{}, got.values...), "%q", blob)
	require.Equal(t, append([]bool{}, want.null...), append([]bool{}, got.null...), "%q", blob)
	require.Len(t, got.index, len(got.names), "%q", blob)
	for i, name := range got.names {
		require.Equal(t, i, got.index[name], "%q", blob)
	}
}

// Names and values with characters to escape come back as given: on SQLite
// they travel in a JSON object built by hand (appendJSONString), which must
// read back as the names and values given.
func TestSetFromJSONEscapesRoundTrip(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.store(t, nil)
		var names []string
		want := map[string]*string{}
		for i, v := range []string{"", "plain", `q"uote`, `back\slash`, "ctl\x01\x1f\n\t\r\b\f", "\x7f",
			"é世🧇", "\u2028\u2029", "<&>", `\u0041`, "/", `"`, `\`} {
			name := fmt.Sprintf("n%d %s", i, strings.Trim(v, "\x00\x01\x1f\n\t\r\b\f\x7f"))
			names = append(names, name)
			want[name] = &v
		}
		want["null"] = nil
		blob := []byte("{")
		for _, name := range names {
			blob = appendJSONString(append(appendJSONString(blob, name), ':'), *want[name])
			blob = append(blob, ',')
		}
		blob = append(blob, `"null": null}`...)
		require.NoError(t, s.SetFromJSON(ctx, blob))
		require.Equal(t, want, readAllStringFlags(t, s))
	})
}

// A large document, with escapes and every kind of value, parses as the
// reference parses it (FuzzParseStringFlags's seeds cover the small cases).
func TestParseStringFlagsMatchesReference(t *testing.T) {
	t.Parallel()
	requireSameParse(t, manyFlags(1000, func(i int, key, value string) (string, string) {
		switch i % 7 {
		case 1:
			return key + "-\u00e9", `"\ud83e\uddc7 \"x\"\n"`
		case 2:
			return key, "-1.50e+3"
		case 3:
			return key, "false"
		case 4:
			return key, "null"
		case 5:
			return "flag-00000", value // a repeated name: the last value wins
		}
		return key, value
	}))
}

// BenchmarkParseStringFlags: the Go work of SetFromJSON alone, reading a
// document of 10,000 keys, beside the reference implementation.
func BenchmarkParseStringFlags(b *testing.B) {
	blob := manyFlags(10000, func(i int, key, value string) (string, string) {
		switch i % 10 {
		case 7:
			return key, "true"
		case 8:
			return key, "null"
		case 9:
			return key, fmt.Sprint(10 * i)
		}
		return key, fmt.Sprintf(`"value-%d"`, i)
	})
	for _, impl := range []struct {
		name  string
		parse func([]byte) (*stringFlags, error)
	}{{"impl=Scanner", parseStringFlags}, {"impl=Tokens", parseStringFlagsTokens}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(blob)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := impl.parse(blob)
				if err != nil || len(f.names) != 10000 {
					b.Fatal(err)
				}
			}
		})
	}
}

// parseStringFlagsTokens is the first implementation of parseStringFlags,
// kept as a reference for FuzzParseStringFlags: it reads the input with
// encoding/json's Decoder.Token, after checking the whole input with
// json.Valid. The scanner must give exactly its results and errors.
func parseStringFlagsTokens(blob []byte) (*stringFlags, error) {
	p := &tokenFlagParser{blob: blob}
	if bytes.HasPrefix(blob, utf8BOM) {
		p.blob, p.base = blob[len(utf8BOM):], int64(len(utf8BOM))
	}
	if len(bytes.Trim(p.blob, " \t\r\n")) == 0 {
		return nil, &JSONError{Offset: -1, Reason: "empty input: want a JSON object or an array of objects"}
	}
	if !utf8.Valid(p.blob) {
		i := 0
		for i < len(p.blob) {
			r, size := utf8.DecodeRune(p.blob[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return nil, &JSONError{Offset: p.base + int64(i), Reason: "invalid UTF-8"}
	}
	// Check the syntax of the whole input first: the scanner behind Unmarshal
	// reports exact offsets (the Decoder's token errors do not), and rejects
	// data after the top-level value.
	if !json.Valid(p.blob) {
		var raw json.RawMessage
		return nil, syntaxError(p.base, p.blob, json.Unmarshal(p.blob, &raw))
	}
	p.dec = json.NewDecoder(bytes.NewReader(p.blob))
	p.dec.UseNumber()
	f := &stringFlags{index: map[string]int{}}

	start := p.skip(0)
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		if err := p.object(f); err != nil {
			return nil, err
		}
	case json.Delim('['):
		for p.dec.More() {
			at := p.skip(p.dec.InputOffset())
			tok, err := p.token()
			if err != nil {
				return nil, err
			}
			if tok != json.Delim('{') {
				return nil, &JSONError{Offset: p.base + at, Reason: "array elements must be objects, got " + describeToken(tok)}
			}
			if err := p.object(f); err != nil {
				return nil, err
			}
		}
		if _, err := p.token(); err != nil { // ']'
			return nil, err
		}
	default:
		return nil, &JSONError{Offset: p.base + start,
			Reason: "the top-level value must be an object or an array of objects, got " + describeToken(tok)}
	}
	end := p.skip(p.dec.InputOffset())
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, &JSONError{Offset: p.base + end, Reason: "data after the top-level value"}
	}
	return f, nil
}

type tokenFlagParser struct {
	blob []byte // without the BOM
	base int64  // the BOM's length: offsets are reported in the caller's input
	dec  *json.Decoder
}

// token returns the next token. The syntax was checked before: an error here
// is unexpected, reported where the decoder stands.
func (p *tokenFlagParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &JSONError{Offset: p.base + p.dec.InputOffset(), Reason: err.Error(), Err: err}
	}
	return tok, nil
}

// skip returns the offset of the next byte at or after at that is not JSON
// whitespace, a comma or a colon: where the next token starts.
func (p *tokenFlagParser) skip(at int64) int64 {
	for at < int64(len(p.blob)) {
		switch p.blob[at] {
		case ' ', '\t', '\r', '\n', ',', ':':
			at++
		default:
			return at
		}
	}
	return at
}

// object reads the members of an object whose '{' was just read, up to and
// including its '}'.
func (p *tokenFlagParser) object(f *stringFlags) error {
	for p.dec.More() {
		keyAt := p.skip(p.dec.InputOffset())
		tok, err := p.token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok { // the decoder accepts only strings here; be safe anyway
			return &JSONError{Offset: p.base + keyAt, Reason: "object keys must be strings"}
		}
		if at, escape, lone := loneSurrogate(p.blob[keyAt:]); lone {
			return &JSONError{Offset: p.base + keyAt + int64(at), Reason: loneSurrogateReason(escape)}
		}
		valueAt := p.skip(p.dec.InputOffset())
		tok, err = p.token()
		if err != nil {
			return err
		}
		var value string
		null := false
		switch x := tok.(type) {
		case string:
			if at, escape, lone := loneSurrogate(p.blob[valueAt:]); lone {
				return &JSONError{Key: key, Offset: p.base + valueAt + int64(at), Reason: loneSurrogateReason(escape)}
			}
			value = x
		case bool:
			if x {
				value = "True"
			}
		case nil:
			null = true
		case json.Number:
			value = string(x)
		default:
			return &JSONError{Key: key, Offset: p.base + valueAt,
				Reason: "values must be strings, numbers, true, false or null, got " + describeToken(tok)}
		}
		if err := ValidateName("string flag", key); err != nil {
			var ne *NameError
			reason := err.Error()
			if errors.As(err, &ne) {
				reason = "name " + ne.Reason
			}
			return &JSONError{Key: key, Offset: p.base + keyAt, Reason: reason, Err: err}
		}
		if reason := textProblem(value); reason != "" {
			return &JSONError{Key: key, Offset: p.base + valueAt, Reason: "value " + reason}
		}
		f.put(key, value, null)
	}
	_, err := p.token() // '}'
	return err
}

// describe names a token's kind for an error message.
func describeToken(tok json.Token) string {
	switch x := tok.(type) {
	case json.Delim:
		if x == '{' || x == '}' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// loneSurrogate looks at the JSON string literal at the start of raw (valid
// JSON) for a \u escape of a UTF-16 surrogate that is not half of a pair:
// a high one not followed by a low one, or a low one on its own. It returns
// the escape's offset in raw and its text.
func loneSurrogate(raw []byte) (at int, escape string, lone bool) {
	for i := 1; i < len(raw) && raw[i] != '"'; i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++
			continue
		}
		v, _ := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
		switch r := rune(v); {
		case 0xD800 <= r && r <= 0xDBFF:
			if i+12 <= len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				v2, _ := strconv.ParseUint(string(raw[i+8:i+12]), 16, 32)
				if 0xDC00 <= v2 && v2 <= 0xDFFF {
					i += 11
					continue
				}
			}
			return i, string(raw[i : i+6]), true
		case 0xDC00 <= r && r <= 0xDFFF:
			return i, string(raw[i : i+6]), true
		}
		i += 5
	}
	return 0, "", false
}
