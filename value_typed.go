package waffle

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrValueType matches a *TypeError: a string flag's text is not of the type
// it was read as.
var ErrValueType = errors.New("waffle: string flag value is not of the type asked for")

// TypeError reports a string flag whose text does not parse as the type a
// typed read asked for. It names the flag and the type, never the text
// (string flags may hold secrets).
type TypeError struct {
	Name string // the string flag
	Type string // "int", "float", "duration", "bool" or "json"
	Err  error  // the parser's error, if any
}

// Error names the flag and the type.
func (e *TypeError) Error() string {
	msg := fmt.Sprintf("waffle: string flag %s is not a valid %s", quoteTrunc(e.Name), e.Type)
	if e.Type == "json" && e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrValueType) hold, and reaches the parser's
// error.
func (e *TypeError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrValueType, e.Err}
	}
	return []error{ErrValueType}
}

// missing is the error of a typed read of a missing flag.
func (v Value) missing() error { return &NotFoundError{Kind: "string flag", Name: v.name} }

// Int parses the text as a base-10 int64 ("42", "-7"; no spaces, no
// fraction). A missing flag is a *NotFoundError (ErrNoSuchFlag); other text
// is a *TypeError (ErrValueType).
func (v Value) Int() (int64, error) {
	if !v.found {
		return 0, v.missing()
	}
	n, err := strconv.ParseInt(v.str, 10, 64)
	if err != nil {
		return 0, &TypeError{Name: v.name, Type: "int", Err: stripNum(err)}
	}
	return n, nil
}

// Float parses the text as a finite float64 ("0.1", "1e3", "42"). Errors as
// [Value.Int].
func (v Value) Float() (float64, error) {
	if !v.found {
		return 0, v.missing()
	}
	f, err := strconv.ParseFloat(v.str, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		err = errors.New("not a finite number")
	}
	if err != nil {
		return 0, &TypeError{Name: v.name, Type: "float", Err: stripNum(err)}
	}
	return f, nil
}

// Duration parses the text with [time.ParseDuration] ("1.5s", "2h45m").
// Errors as [Value.Int].
func (v Value) Duration() (time.Duration, error) {
	if !v.found {
		return 0, v.missing()
	}
	d, err := time.ParseDuration(v.str)
	if err != nil {
		return 0, &TypeError{Name: v.name, Type: "duration"}
	}
	return d, nil
}

// StrictBool parses the text as a boolean: "true", "1", "on" are true,
// "false", "0", "off" and "" (what Set(ctx, name, false) stores) are false,
// in any case ("True" is what Set(ctx, name, true) stores). Anything else is
// a *TypeError; a missing flag a *NotFoundError. [Value.Bool] is flagday's
// looser truthiness.
func (v Value) StrictBool() (bool, error) {
	if !v.found {
		return false, v.missing()
	}
	switch strings.ToLower(v.str) {
	case "true", "1", "on":
		return true, nil
	case "false", "0", "off", "":
		return false, nil
	}
	return false, &TypeError{Name: v.name, Type: "bool"}
}

// DecodeJSON decodes the text as JSON into dst, as [json.Unmarshal] does. A
// missing flag is a *NotFoundError; text that is not valid JSON for dst a
// *TypeError with Type "json".
func (v Value) DecodeJSON(dst any) error {
	if !v.found {
		return v.missing()
	}
	if err := json.Unmarshal([]byte(v.str), dst); err != nil {
		return &TypeError{Name: v.name, Type: "json", Err: err}
	}
	return nil
}

// IntOr returns [Value.Int], or d when the flag is missing or not an int.
func (v Value) IntOr(d int64) int64 {
	if n, err := v.Int(); err == nil {
		return n
	}
	return d
}

// FloatOr returns [Value.Float], or d when the flag is missing or not a
// float.
func (v Value) FloatOr(d float64) float64 {
	if f, err := v.Float(); err == nil {
		return f
	}
	return d
}

// DurationOr returns [Value.Duration], or d when the flag is missing or not
// a duration.
func (v Value) DurationOr(d time.Duration) time.Duration {
	if x, err := v.Duration(); err == nil {
		return x
	}
	return d
}

// StrictBoolOr returns [Value.StrictBool], or d when the flag is missing or
// not a boolean.
func (v Value) StrictBoolOr(d bool) bool {
	if b, err := v.StrictBool(); err == nil {
		return b
	}
	return d
}

// StringOr returns the text, or d when the flag is missing.
func (v Value) StringOr(d string) string {
	if v.found {
		return v.str
	}
	return d
}

// stripNum keeps strconv's reason (syntax, range) without the text it
// quotes.
func stripNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}
