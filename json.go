package waffle

import (
	"context"
	"fmt"
	"time"

	"github.com/gowaffle/waffle/internal/query"
)

// SetFromJSON sets many string flags at once (flagday's set_from_json). blob
// is one JSON object of names to values, or an array of such objects; a name
// given twice takes its last value. Values must be JSON scalars: a string is
// stored as it is, true as "True", false as "", null as NULL (reads as
// missing), and a number as its literal text exactly as written ("1.50").
//
// Anything else (a nested object or array, an invalid name, a NUL, a lone
// UTF-16 surrogate escape, invalid JSON or UTF-8, empty input, data after the
// value, input over Config.MaxJSONBytes: [ErrJSONTooLarge]) is a *JSONError naming the
// key or the byte offset, and nothing is written: the whole input is validated
// first, then every row goes in one transaction, with one statement whatever
// the number of names (and one for the audit entries of the names whose value
// changes). Through [Store.WithTx] the rows commit with the
// application's transaction. The full rules: docs/flags.md.
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
		if s.auditing() {
			// The entries from the rows as they are, in one set-based
			// statement (on PostgreSQL with the table locked against
			// other writers, and the same statement runs the upsert).
			at := s.auditTime(args[2].(time.Time))
			if s.Dialect() == query.Postgres {
				if _, err := s.exec(ctx, ex, "audit_string_flag_lock"); err != nil {
					return err
				}
				_, err := s.exec(ctx, ex, "audit_string_flag_set_many", args[0], args[1], args[2], actorFrom(ctx), at)
				return err
			}
			if _, err := s.exec(ctx, ex, "audit_string_flag_set_many", args[0], args[1], at, actorFrom(ctx)); err != nil {
				return err
			}
		}
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
