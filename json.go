package waffle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gowaffle/waffle/internal/query"
)

// SetFromJSON sets many string flags at once (flagday's set_from_json). blob
// is one JSON object of names to values, or an array of such objects; a name
// given twice takes its last value. Values must be JSON scalars, stored as:
//
//	"text"        text, as it is
//	true          "True"
//	false         ""
//	null          NULL (reads as missing)
//	1.50, -2e3    the number's literal text exactly as written: "1.50", "-2e3"
//
// Anything else is a *JSONError (errors.Is(err, ErrInvalidJSON)) naming the
// key or the byte offset: a nested object or array, an invalid name (see
// [ValidateName]), a value with a NUL character, empty input, a top-level
// scalar, an array element that is not an object, invalid JSON or invalid
// UTF-8, data after the top-level value. A leading UTF-8 byte order mark is
// ignored.
//
// The whole input is validated before anything is written; then every row is
// written in one transaction, with one statement whatever the number of
// names, so a failure leaves the database exactly as it was. Through
// [Store.WithTx] the rows commit with the application's transaction.
func (s *Store) SetFromJSON(ctx context.Context, blob []byte) error {
	flags, err := parseStringFlags(blob)
	if err != nil {
		return err
	}
	if len(flags.names) == 0 {
		return nil
	}
	args, err := s.setManyArgs(flags)
	if err != nil {
		return err
	}
	err = s.writeTx(ctx, func(ex execer) error {
		_, err := s.exec(ctx, ex, "string_flag_set_many", args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("waffle: setting %d string flags from JSON: %w", len(flags.names), err)
	}
	return nil
}

// setManyArgs returns the arguments of string_flag_set_many: the names and
// values as two text arrays on PostgreSQL, one JSON object on SQLite.
func (s *Store) setManyArgs(f *stringFlags) ([]any, error) {
	now := s.now()
	if s.Dialect() == query.Postgres {
		values := make([]*string, len(f.names))
		for i := range f.values {
			if !f.null[i] {
				values[i] = &f.values[i]
			}
		}
		return []any{f.names, values, now}, nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range f.names {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := appendJSONString(&b, name); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if f.null[i] {
			b.WriteString("null")
		} else if err := appendJSONString(&b, f.values[i]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return []any{b.String(), nil, now}, nil
}

func appendJSONString(b *bytes.Buffer, s string) error {
	enc, err := json.Marshal(s)
	if err != nil {
		return err
	}
	b.Write(enc)
	return nil
}

// stringFlags is SetFromJSON's validated input: unique names in the order
// they first appeared, each with its last value.
type stringFlags struct {
	names  []string
	values []string
	null   []bool
	index  map[string]int
}

func (f *stringFlags) put(name, value string, null bool) {
	if i, ok := f.index[name]; ok {
		f.values[i], f.null[i] = value, null
		return
	}
	f.index[name] = len(f.names)
	f.names = append(f.names, name)
	f.values = append(f.values, value)
	f.null = append(f.null, null)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseStringFlags validates SetFromJSON's input, reading it as a stream of
// tokens so that numbers keep their literal text and repeated keys resolve in
// order.
func parseStringFlags(blob []byte) (*stringFlags, error) {
	p := &flagParser{blob: blob}
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
		return nil, p.syntaxError(json.Unmarshal(p.blob, &raw))
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
				return nil, &JSONError{Offset: p.base + at, Reason: "array elements must be objects, got " + describe(tok)}
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
			Reason: "the top-level value must be an object or an array of objects, got " + describe(tok)}
	}
	end := p.skip(p.dec.InputOffset())
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, &JSONError{Offset: p.base + end, Reason: "data after the top-level value"}
	}
	return f, nil
}

type flagParser struct {
	blob []byte // without the BOM
	base int64  // the BOM's length: offsets are reported in the caller's input
	dec  *json.Decoder
}

// syntaxError turns an error of json.Unmarshal into a *JSONError at the
// offset of the offending byte, or at the end for input that stops short.
func (p *flagParser) syntaxError(err error) error {
	var syn *json.SyntaxError
	if err == nil || !errors.As(err, &syn) {
		return &JSONError{Offset: -1, Reason: fmt.Sprint("not valid JSON: ", err), Err: err}
	}
	at := syn.Offset // the scanner's count of bytes read, the offending one included
	if at >= int64(len(p.blob)) && strings.HasPrefix(syn.Error(), "unexpected end") {
		return &JSONError{Offset: p.base + int64(len(p.blob)), Reason: "unexpected end of input", Err: err}
	}
	if at > 0 {
		at--
	}
	return &JSONError{Offset: p.base + at, Reason: syn.Error(), Err: err}
}

// token returns the next token. The syntax was checked before: an error here
// is unexpected, reported where the decoder stands.
func (p *flagParser) token() (json.Token, error) {
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
func (p *flagParser) skip(at int64) int64 {
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
func (p *flagParser) object(f *stringFlags) error {
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
		valueAt := p.skip(p.dec.InputOffset())
		tok, err = p.token()
		if err != nil {
			return err
		}
		var value string
		null := false
		switch x := tok.(type) {
		case string:
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
				Reason: "values must be strings, numbers, true, false or null, got " + describe(tok)}
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
func describe(tok json.Token) string {
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
