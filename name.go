package waffle

import (
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest name, in Unicode code points (runes, not
// bytes), of a flag, switch, sample, string flag or group.
const MaxNameLength = 255

// reservedName is flagday's one reserved name: the bulk loader's method.
const reservedName = "set_from_json"

// ValidateName reports whether name follows the rule every kind of object
// shares: valid UTF-8, 1 to [MaxNameLength] code points, no leading "_", no
// control characters, and not the reserved "set_from_json". It returns nil
// or a *NameError for kind (such as "switch"). The library checks every name
// this way before it sends any SQL.
func ValidateName(kind, name string) error {
	if reason := nameProblem(name); reason != "" {
		e := &NameError{Kind: kind, Name: name, Reason: reason}
		if name == reservedName {
			e.err = ErrReservedName
		}
		return e
	}
	return nil
}

// nameProblem returns why name is invalid, or "" when it is valid. It does
// not allocate for valid names: it is on every read.
func nameProblem(name string) string {
	if name == "" {
		return "must not be empty"
	}
	if name[0] == '_' {
		return `must not start with "_"`
	}
	if name == reservedName {
		return "is reserved"
	}
	n := 0
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf { // ASCII fast path
			if c < 0x20 || c == 0x7f {
				return "must not contain control characters"
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(name[i:])
			if r == utf8.RuneError && size == 1 {
				return "must be valid UTF-8"
			}
			if unicode.IsControl(r) {
				return "must not contain control characters"
			}
			i += size
		}
		n++
		if n > MaxNameLength {
			return "must be at most 255 characters"
		}
	}
	return ""
}
