package waffle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Get reads the string flag called name (flagday's get) in one statement.
// A flag with no row, or whose value is NULL, is missing, and reads according
// to Config.MissingFlagHandling (see [Value]): with [Exception], Get returns
// a *NotFoundError that matches [ErrNoSuchFlag] and [ErrNotFound]. An invalid
// name returns a *NameError and sends no statement.
func (s *Store) Get(ctx context.Context, name string) (Value, error) {
	v := Value{mode: s.cfg.MissingFlagHandling, name: name}
	if err := ValidateName("string flag", name); err != nil {
		return v, err
	}
	if d := s.snapshotData(); d != nil {
		if ns, ok := d.strings[name]; ok && ns.Valid {
			v.found, v.str = true, ns.String
			return v, nil
		}
	}
	if b, err := s.requestBatch(ctx, kindString, name); b != nil || err != nil {
		if err != nil {
			return v, err
		}
		return b.stringResult(s, name)
	}
	var ns sql.NullString
	err := s.queryRow(ctx, "string_flag_get", name).Scan(&ns)
	switch {
	case err == nil && ns.Valid:
		v.found, v.str = true, ns.String
		return v, nil
	case err == nil:
		v.null = true
	case !errors.Is(err, sql.ErrNoRows):
		return v, opError("reading", "string flag", name, err)
	}
	if v.mode == Exception {
		return v, &NotFoundError{Kind: "string flag", Name: name}
	}
	return v, nil
}

// Set stores v as the string flag called name (flagday's set), creating it
// when it does not exist, with its audit entry when the value changes (one
// statement on PostgreSQL). v is stored as text:
//
//	true                   "True"
//	false                  ""
//	nil                    NULL (reads as missing)
//	string                 as it is
//	int, int8 ... uint64   decimal: "42", "-7"
//	float32, float64       shortest form, strconv 'g' -1: "0.1", "1e+21"
//	fmt.Stringer           its String(); a nil pointer is NULL
//
// A named type without a String method is stored as its underlying kind. Any
// other type, and text that is not valid UTF-8 or holds a NUL, is a
// *ValueError, and nothing is written (the full list: docs/flags.md).
func (s *Store) Set(ctx context.Context, name string, v any) error {
	if err := ValidateName("string flag", name); err != nil {
		return err
	}
	str, ok, err := stringFlagText(name, v)
	if err != nil {
		return err
	}
	var arg any // NULL
	if ok {
		arg = str
	}
	if err := s.setAudited(ctx, "string_flag_set", "string_flag_set_audited", name, arg); err != nil {
		return opError("setting", "string flag", name, err)
	}
	return nil
}

// DeleteStringFlag deletes the string flag called name, or returns a
// *NotFoundError. A deleted flag reads as missing.
func (s *Store) DeleteStringFlag(ctx context.Context, name string) error {
	return s.deleteAudited(ctx, "string flag", "string_flag_delete", "audit_string_flag_delete", name)
}

// stringFlagText maps v to the text Set stores: ok is false for NULL. The
// common types go through a type switch; reflection is only for named types.
func stringFlagText(name string, v any) (text string, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		text = x
	case bool:
		if x {
			text = "True"
		}
	case fmt.Stringer:
		if isNil(x) {
			return "", false, nil
		}
		if text, err = callString(name, x); err != nil {
			return "", false, err
		}
	default:
		var number bool
		if text, number = numberText(v); number {
			break
		}
		if text, err = kindText(name, v); err != nil {
			return "", false, err
		}
	}
	if reason := textProblem(text); reason != "" {
		return "", false, &ValueError{Kind: "string flag", Name: name, Field: "value", Reason: reason}
	}
	return text, true, nil
}

// numberText formats v when it is one of Go's number types (not a named
// type): ok is false for anything else.
func numberText(v any) (text string, ok bool) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

// isNil reports whether v holds a nil pointer, map, slice, func, channel or
// interface.
func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}

// callString returns x.String(), turning a panic in it into a *ValueError.
func callString(name string, x fmt.Stringer) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ValueError{Kind: "string flag", Name: name, Field: "value",
				Reason: fmt.Sprintf("the String method of %T panicked: %v", x, r)}
		}
	}()
	return x.String(), nil
}

// kindText maps a value of a named type by its underlying kind.
func kindText(name string, v any) (string, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		if rv.Bool() {
			return "True", nil
		}
		return "", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 32), nil
	case reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), nil
	}
	return "", &ValueError{Kind: "string flag", Name: name, Field: "value",
		Reason: fmt.Sprintf("cannot store a %T: use a string, bool, integer, float, fmt.Stringer or nil", v)}
}

// textProblem returns why text cannot be stored, or "".
func textProblem(text string) string {
	if !utf8.ValidString(text) {
		return "must be valid UTF-8"
	}
	if strings.IndexByte(text, 0) >= 0 {
		return "must not contain a NUL character (PostgreSQL text cannot store it)"
	}
	return ""
}
