package waffle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file reads SetFromJSON's input: one pass over the document that
// checks its syntax and collects the names and values, with a handful of
// allocations whatever the number of keys. The document is copied once into
// a string; names and values without escapes are substrings of it.
//
// The scanner reports semantic problems itself (a nested value, a bad name,
// a value with NUL...) and leaves syntax errors to encoding/json, whose
// messages and offsets SetFromJSON has always given: on any problem, the
// whole input is checked with json.Valid first, so a syntax error anywhere
// wins over a semantic one, as when the syntax was checked before reading.

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// errScanSyntax is the scanner's internal verdict "not valid JSON": the
// error returned to the caller comes from encoding/json.
var errScanSyntax = errors.New("waffle: JSON syntax error")

// maxPresize bounds the capacity reserved from a count of ':' in the input
// (which strings may contain too).
const maxPresize = 1 << 16

// parseStringFlags validates SetFromJSON's input and returns its names in
// the order they first appear, each with its last value; numbers keep their
// literal text.
func parseStringFlags(blob []byte) (*stringFlags, error) {
	var base int64
	if bytes.HasPrefix(blob, utf8BOM) {
		blob, base = blob[len(utf8BOM):], int64(len(utf8BOM))
	}
	if len(bytes.Trim(blob, " \t\r\n")) == 0 {
		return nil, &JSONError{Offset: -1, Reason: "empty input: want a JSON object or an array of objects"}
	}
	if !utf8.Valid(blob) {
		i := 0
		for i < len(blob) {
			r, size := utf8.DecodeRune(blob[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return nil, &JSONError{Offset: base + int64(i), Reason: "invalid UTF-8"}
	}
	sc := flagScanner{src: string(blob), base: base}
	f, err := sc.document()
	if err == nil {
		return f, nil
	}
	if errors.Is(err, errScanSyntax) || !json.Valid(blob) {
		var raw json.RawMessage
		return nil, syntaxError(base, blob, json.Unmarshal(blob, &raw))
	}
	return nil, err
}

// syntaxError turns an error of json.Unmarshal on blob into a *JSONError at
// the offset of the offending byte, or at the end for input that stops
// short. base is the length of the byte order mark left out of blob.
func syntaxError(base int64, blob []byte, err error) error {
	var syn *json.SyntaxError
	if err == nil || !errors.As(err, &syn) {
		return &JSONError{Offset: -1, Reason: fmt.Sprint("not valid JSON: ", err), Err: err}
	}
	at := syn.Offset // the scanner's count of bytes read, the offending one included
	if at >= int64(len(blob)) && strings.HasPrefix(syn.Error(), "unexpected end") {
		return &JSONError{Offset: base + int64(len(blob)), Reason: "unexpected end of input", Err: err}
	}
	if at > 0 {
		at--
	}
	return &JSONError{Offset: base + at, Reason: syn.Error(), Err: err}
}

// flagScanner reads a document of valid UTF-8.
type flagScanner struct {
	src  string // the input without the BOM
	pos  int    // the next byte to read
	base int64  // the BOM's length: offsets are reported in the caller's input
	buf  []byte // scratch space for unescaping strings
}

// document reads the whole input: an object, or an array of objects.
func (s *flagScanner) document() (*stringFlags, error) {
	n := min(strings.Count(s.src, ":"), maxPresize)
	f := &stringFlags{
		names:  make([]string, 0, n),
		values: make([]string, 0, n),
		null:   make([]bool, 0, n),
		index:  make(map[string]int, n),
	}
	s.space()
	start := s.pos
	switch c := s.peek(); c {
	case '{':
		s.pos++
		if err := s.object(f); err != nil {
			return nil, err
		}
	case '[':
		s.pos++
		if err := s.array(f); err != nil {
			return nil, err
		}
	default:
		kind, ok := valueKind(c)
		if !ok {
			return nil, errScanSyntax
		}
		return nil, &JSONError{Offset: s.base + int64(start),
			Reason: "the top-level value must be an object or an array of objects, got " + kind}
	}
	s.space()
	if s.pos != len(s.src) {
		return nil, errScanSyntax
	}
	return f, nil
}

// array reads the elements of an array whose '[' was just read, up to and
// including its ']'.
func (s *flagScanner) array(f *stringFlags) error {
	s.space()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		s.space()
		at := s.pos
		c := s.peek()
		if c != '{' {
			kind, ok := valueKind(c)
			if !ok {
				return errScanSyntax
			}
			return &JSONError{Offset: s.base + int64(at), Reason: "array elements must be objects, got " + kind}
		}
		s.pos++
		if err := s.object(f); err != nil {
			return err
		}
		s.space()
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return errScanSyntax
		}
	}
}

// object reads the members of an object whose '{' was just read, up to and
// including its '}'.
func (s *flagScanner) object(f *stringFlags) error {
	s.space()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if err := s.member(f); err != nil {
			return err
		}
		s.space()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return errScanSyntax
		}
	}
}

// member reads one "key": value pair of an object, checks it and puts it in
// f.
func (s *flagScanner) member(f *stringFlags) error {
	s.space()
	keyAt := s.pos
	key, err := s.memberKey()
	if err != nil {
		return err
	}
	valueAt := s.pos
	value, null, escaped, err := s.memberValue(key)
	if err != nil {
		return err
	}
	if err := s.checkMember(key, keyAt, value, valueAt, escaped); err != nil {
		return err
	}
	f.put(key, value, null)
	return nil
}

// memberKey reads a member's key and its ':', and the space after it.
func (s *flagScanner) memberKey() (string, error) {
	if s.peek() != '"' {
		return "", errScanSyntax
	}
	key, _, err := s.string()
	if err != nil {
		return "", err
	}
	s.space()
	if s.peek() != ':' {
		return "", errScanSyntax
	}
	s.pos++
	s.space()
	return key, nil
}

// memberValue reads the value of the member called key as the text Set
// stores: null is true for JSON null, escaped when a string held an escape.
// An object or array is a *JSONError.
func (s *flagScanner) memberValue(key string) (value string, null, escaped bool, err error) {
	switch c := s.peek(); c {
	case '"':
		value, escaped, err = s.string()
		var je *JSONError
		if errors.As(err, &je) {
			je.Key = key // a lone surrogate in the value: name the key
		}
	case 't':
		err = s.literal("true")
		value = "True"
	case 'f':
		err = s.literal("false")
	case 'n':
		err = s.literal("null")
		null = true
	case '{', '[':
		kind, _ := valueKind(c)
		err = &JSONError{Key: key, Offset: s.base + int64(s.pos),
			Reason: "values must be strings, numbers, true, false or null, got " + kind}
	default:
		value, err = s.number()
	}
	return value, null, escaped, err
}

// checkMember checks a member's name and, when it held an escape, its value.
func (s *flagScanner) checkMember(key string, keyAt int, value string, valueAt int, escaped bool) error {
	if err := ValidateName("string flag", key); err != nil {
		var ne *NameError
		reason := err.Error()
		if errors.As(err, &ne) {
			reason = "name " + ne.Reason
		}
		return &JSONError{Key: key, Offset: s.base + int64(keyAt), Reason: reason, Err: err}
	}
	// Only an escape can put NUL in a string: raw control characters
	// are a syntax error, and the input is valid UTF-8.
	if escaped {
		if reason := textProblem(value); reason != "" {
			return &JSONError{Key: key, Offset: s.base + int64(valueAt), Reason: "value " + reason}
		}
	}
	return nil
}

// peek returns the next byte, or 0 at the end of the input.
func (s *flagScanner) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

// space skips JSON whitespace.
func (s *flagScanner) space() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// literal reads word (true, false or null).
func (s *flagScanner) literal(word string) error {
	if !strings.HasPrefix(s.src[s.pos:], word) {
		return errScanSyntax
	}
	s.pos += len(word)
	return nil
}

// number reads a number and returns its literal text:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *flagScanner) number() (string, error) {
	start, i := s.pos, s.pos
	if i < len(s.src) && s.src[i] == '-' {
		i++
	}
	switch {
	case i < len(s.src) && s.src[i] == '0':
		i++
	case i < len(s.src) && '1' <= s.src[i] && s.src[i] <= '9':
		i = s.digits(i + 1)
	default:
		return "", errScanSyntax
	}
	if i < len(s.src) && s.src[i] == '.' {
		j := s.digits(i + 1)
		if j == i+1 {
			return "", errScanSyntax
		}
		i = j
	}
	if i < len(s.src) && (s.src[i] == 'e' || s.src[i] == 'E') {
		i++
		if i < len(s.src) && (s.src[i] == '+' || s.src[i] == '-') {
			i++
		}
		j := s.digits(i)
		if j == i {
			return "", errScanSyntax
		}
		i = j
	}
	s.pos = i
	return s.src[start:i], nil
}

// digits returns the offset of the first byte at or after i that is not a
// decimal digit.
func (s *flagScanner) digits(i int) int {
	for i < len(s.src) && '0' <= s.src[i] && s.src[i] <= '9' {
		i++
	}
	return i
}

// string reads a string literal whose opening quote is at s.pos and returns
// its value; escaped reports whether it had escapes (then the value is a new
// string, else a substring of the input).
func (s *flagScanner) string() (string, bool, error) {
	start := s.pos + 1
	for i := start; i < len(s.src); i++ {
		switch c := s.src[i]; {
		case c == '"':
			s.pos = i + 1
			return s.src[start:i], false, nil
		case c == '\\':
			v, err := s.unescape(start, i)
			return v, true, err
		case c < 0x20:
			return "", false, errScanSyntax
		}
	}
	return "", false, errScanSyntax
}

// unescape reads the rest of a string literal that starts at start and
// whose first backslash is at i, decoding as encoding/json does, except that
// a \u escape of a lone or badly paired UTF-16 surrogate is a *JSONError at
// the escape (encoding/json gives U+FFFD, which would make "\ud800" and
// "\udbff" the same name).
func (s *flagScanner) unescape(start, i int) (string, error) {
	b := append(s.buf[:0], s.src[start:i]...) //nolint:gocritic // reuses s.buf's array; stored back in s.buf below
	for i < len(s.src) {
		c := s.src[i]
		switch {
		case c == '"':
			s.pos, s.buf = i+1, b
			return string(b), nil
		case c < 0x20:
			return "", errScanSyntax
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s.src) {
			return "", errScanSyntax
		}
		switch e := s.src[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s.src, i+2)
			if r < 0 {
				return "", errScanSyntax
			}
			at := i
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(s.src) && s.src[i] == '\\' && s.src[i+1] == 'u' {
					r2 = hex4(s.src, i+2)
				}
				pair := utf16.DecodeRune(r, r2)
				if pair == utf8.RuneError {
					return "", &JSONError{Offset: s.base + int64(at), Reason: loneSurrogateReason(s.src[at : at+6])}
				}
				r = pair
				i += 6
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", errScanSyntax
		}
		i += 2
	}
	return "", errScanSyntax
}

// loneSurrogateReason is the reason of the error for escape, a \u escape
// of a UTF-16 surrogate that is not half of a pair.
func loneSurrogateReason(escape string) string {
	return "lone UTF-16 surrogate " + escape + ": a high surrogate \\ud800-\\udbff must be followed by a low one \\udc00-\\udfff"
}

// hex4 returns the value of the 4 hexadecimal digits at src[i:], or -1.
func hex4(src string, i int) rune {
	if i+4 > len(src) {
		return -1
	}
	var r rune
	for _, c := range []byte(src[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// valueKind names the kind of the JSON value that starts with c, for an
// error message; ok is false when no value starts with c.
func valueKind(c byte) (kind string, ok bool) {
	switch {
	case c == '{':
		return "an object", true
	case c == '[':
		return "an array", true
	case c == '"':
		return "a string", true
	case c == 't' || c == 'f':
		return "a boolean", true
	case c == 'n':
		return "null", true
	case c == '-' || '0' <= c && c <= '9':
		return "a number", true
	}
	return "", false
}
