package waffle

import (
	"context"
	"fmt"

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
// [ValidateName]), a value with a NUL character, a \u escape of a lone UTF-16
// surrogate ("\ud800": encoding/json would make it U+FFFD), empty input, a
// top-level scalar, an array element that is not an object, invalid JSON or
// invalid UTF-8, data after the top-level value. A leading UTF-8 byte order
// mark is ignored.
//
// Input longer than Config.MaxJSONBytes (16 MiB by default) is refused before
// it is parsed, with a *JSONError that matches [ErrJSONTooLarge].
//
// The whole input is validated before anything is written; then every row is
// written in one transaction, with one statement whatever the number of
// names, so a failure leaves the database exactly as it was. Through
// [Store.WithTx] the rows commit with the application's transaction.
func (s *Store) SetFromJSON(ctx context.Context, blob []byte) error {
	if len(blob) > s.cfg.MaxJSONBytes {
		return &JSONError{Offset: -1, Err: ErrJSONTooLarge,
			Reason: fmt.Sprintf("input of %d bytes is over the limit of %d (Config.MaxJSONBytes)", len(blob), s.cfg.MaxJSONBytes)}
	}
	flags, err := parseStringFlags(blob)
	if err != nil {
		return err
	}
	if len(flags.names) == 0 {
		return nil
	}
	args := s.setManyArgs(flags)
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
func (s *Store) setManyArgs(f *stringFlags) []any {
	now := s.now()
	if s.Dialect() == query.Postgres {
		values := make([]*string, len(f.names))
		for i := range f.values {
			if !f.null[i] {
				values[i] = &f.values[i]
			}
		}
		return []any{f.names, values, now}
	}
	n := 2
	for i, name := range f.names {
		n += len(name) + len(f.values[i]) + 6
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, name := range f.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, name), ':')
		if f.null[i] {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, f.values[i])
		}
	}
	b = append(b, '}')
	return []any{string(b), nil, now}
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
