package waffle

import (
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"
)

// Sentinel errors, for errors.Is. Every error the library returns for bad
// input or a missing object matches one of them; the typed errors below carry
// the name, key or field.
var (
	// ErrInvalidConfig matches a *ConfigError returned by [New].
	ErrInvalidConfig = errors.New("waffle: invalid config")

	// ErrInvalidJSON matches a *JSONError returned by [Store.SetFromJSON].
	ErrInvalidJSON = errors.New("waffle: invalid JSON")

	// ErrJSONTooLarge matches the *JSONError [Store.SetFromJSON] returns for
	// input over Config.MaxJSONBytes; errors.Is(err, ErrInvalidJSON) holds
	// too.
	ErrJSONTooLarge = errors.New("waffle: JSON input too large")

	// ErrInvalidName matches a *NameError: a name that breaks the name rule
	// (1 to 255 Unicode code points of valid UTF-8, no leading "_", no control
	// characters) or a reserved one (then [ErrReservedName] matches too).
	ErrInvalidName = errors.New("waffle: invalid name")

	// ErrInvalidValue matches a *ValueError: a percent out of range, a value
	// [Store.Set] cannot store, a window that ends before it starts.
	ErrInvalidValue = errors.New("waffle: invalid value")

	// ErrNoSuchFlag is returned by [Store.Get] for a missing or NULL string
	// flag when MissingFlagHandling is [Exception]. It matches a
	// *NotFoundError, so errors.Is(err, ErrNotFound) holds too.
	ErrNoSuchFlag = errors.New("waffle: no such flag")

	// ErrNotFound matches a *NotFoundError: a record looked up by name that
	// does not exist. errors.Is(err, gorm.ErrRecordNotFound) holds too.
	ErrNotFound = fmt.Errorf("waffle: not found (%w)", gorm.ErrRecordNotFound)

	// ErrReservedName matches a *NameError for a name kept reserved:
	// "set_from_json", kept so that a database shared with flagday stays valid
	// on both sides.
	ErrReservedName = errors.New("waffle: reserved name")

	// ErrUnsupportedDatabase is returned by [New] for a *gorm.DB whose dialect
	// is neither PostgreSQL nor SQLite.
	ErrUnsupportedDatabase = errors.New("waffle: unsupported database")
)

// ConfigError reports a [Config] field that [New] cannot accept.
type ConfigError struct {
	Field  string // the field's name, such as "Cookie.MaxAge"
	Reason string // what is wrong with its value
}

// Error names the field and says what is wrong with it.
func (e *ConfigError) Error() string {
	return "waffle: invalid config: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) hold.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// NameError reports a name that breaks the name rule or is reserved.
type NameError struct {
	Kind   string // what was named: "switch", "sample", "flag", "string flag", "group"
	Name   string // the name as given
	Reason string // which part of the rule it breaks
	err    error
}

// Error quotes the name (cut when very long) and says which rule it breaks.
func (e *NameError) Error() string {
	return fmt.Sprintf("waffle: invalid %s name %s: %s", e.Kind, quoteTrunc(e.Name), e.Reason)
}

// Unwrap returns [ErrInvalidName] and, for reserved names, [ErrReservedName].
func (e *NameError) Unwrap() []error {
	if errors.Is(e.err, ErrReservedName) {
		return []error{ErrInvalidName, ErrReservedName}
	}
	return []error{ErrInvalidName}
}

// ValueError reports a value the library refuses to store.
type ValueError struct {
	Kind   string // "sample", "flag", "string flag", "window", ...
	Name   string // the object's name, when there is one
	Field  string // "percent", "value", "end", ...
	Reason string // what is wrong with the value
}

// Error names the object, the field and what is wrong with the value.
func (e *ValueError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("waffle: invalid %s %s: %s", e.Kind, e.Field, e.Reason)
	}
	return fmt.Sprintf("waffle: invalid %s of %s %s: %s", e.Field, e.Kind, quoteTrunc(e.Name), e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidValue) hold.
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

// NotFoundError reports an object that does not exist.
type NotFoundError struct {
	Kind string // "switch", "sample", "flag", "string flag", "group", "window"
	Name string // the name looked up
}

// Error names the kind and the name that was not found.
func (e *NotFoundError) Error() string {
	if e.Kind == "string flag" {
		return "waffle: no such flag " + quoteTrunc(e.Name)
	}
	return fmt.Sprintf("waffle: %s %s not found", e.Kind, quoteTrunc(e.Name))
}

// Unwrap makes errors.Is(err, ErrNotFound) hold, and for string flags
// errors.Is(err, ErrNoSuchFlag) as well.
func (e *NotFoundError) Unwrap() []error {
	if e.Kind == "string flag" {
		return []error{ErrNoSuchFlag, ErrNotFound}
	}
	return []error{ErrNotFound}
}

// JSONError reports input that [Store.SetFromJSON] refuses. Nothing was
// written.
type JSONError struct {
	Key    string // the offending key, when the problem is tied to one
	Offset int64  // byte offset in the input, when known; -1 otherwise
	Reason string // what is wrong with the input
	Err    error  // the underlying cause (a *NameError, a json error), if any
}

// Error gives the key and the byte offset, when known, and the reason.
func (e *JSONError) Error() string {
	msg := "waffle: invalid JSON"
	if e.Key != "" {
		msg += " at key " + quoteTrunc(e.Key)
	}
	if e.Offset >= 0 {
		msg += " (offset " + strconv.FormatInt(e.Offset, 10) + ")"
	}
	return msg + ": " + e.Reason
}

// Unwrap returns [ErrInvalidJSON] and the underlying cause.
func (e *JSONError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidJSON, e.Err}
	}
	return []error{ErrInvalidJSON}
}

// quote quotes s for an error message.
func quote(s string) string { return strconv.Quote(s) }

// quoteTrunc quotes s for an error message, cutting very long input so that a
// 1 MB bad name does not become a 1 MB error.
func quoteTrunc(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // don't split a UTF-8 sequence
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// opError wraps a database error with what was being done.
func opError(doing string, kind, name string, err error) error {
	if name == "" {
		return fmt.Errorf("waffle: %s %s: %w", doing, kind, err)
	}
	return fmt.Errorf("waffle: %s %s %s: %w", doing, kind, quoteTrunc(name), err)
}
