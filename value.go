package waffle

import (
	"encoding/json"
)

// Value is a string flag as [Store.Get] read it. It says whether the flag
// was found, and gives the stored string, flagday's truthiness and the value
// flagday would have returned.
//
// A flag is missing when it has no row or its stored value is NULL (Null then
// reports which). What a missing flag stands for depends on the
// MissingFlagHandling mode the Store was configured with:
//
//	mode          Any()   Bool()  String()
//	return_false  false   false   ""
//	return_empty  ""      false   ""
//	return_none   nil     false   ""
//	exception     (Get returns an error matching ErrNoSuchFlag)
//
// The zero Value is a missing flag in the return_false mode.
type Value struct {
	str   string
	found bool // a row with a non-NULL value
	null  bool // a row whose value is NULL
	mode  MissingFlagMode
	name  string // for the typed parses' errors
}

// Found reports whether the flag has a row with a value that is not NULL.
func (v Value) Found() bool { return v.found }

// Missing reports whether the flag has no row or its value is NULL: the
// configured MissingFlagHandling decides what it stands for.
func (v Value) Missing() bool { return !v.found }

// Null reports whether the flag has a row whose value is NULL (set with
// Set(ctx, name, nil) or JSON null). A NULL value reads as missing.
func (v Value) Null() bool { return v.null }

// String returns the stored string, or "" when the flag is missing, in every
// mode. It makes Value a [fmt.Stringer].
func (v Value) String() string { return v.str }

// Bool returns flagday's truthiness: true when the flag is found and its
// string is not empty ("True", "0" and "false" are all true; "" is false).
// A missing flag is false in every mode. [Value.StrictBool] parses the text
// as a boolean instead.
func (v Value) Bool() bool { return v.found && v.str != "" }

// Any returns what flagday's get returns: the stored string when the flag is
// found, otherwise the mode's sentinel: false for return_false, "" for
// return_empty, nil for return_none. Templates and JSON use it.
func (v Value) Any() any {
	if v.found {
		return v.str
	}
	switch v.mode {
	case ReturnEmpty:
		return ""
	case ReturnNone, Exception:
		return nil
	default:
		return false
	}
}

// MarshalJSON encodes [Value.Any]: the string, or false, "" or null for a
// missing flag.
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.Any()) }
