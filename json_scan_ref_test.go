package waffle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

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
