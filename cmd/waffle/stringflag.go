package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/gowaffle/waffle"
)

// String flags (flagday's): get, set, load-json and dump-json.

var stringDeleteKind = deleteKind{option: "string", plural: "String flags", delete: (*waffle.Store).DeleteStringFlag}

var getCommand = newCommand("get", "print the value of a string flag", "NAME [--json]",
	`Prints the stored value of the string flag NAME and a newline. A NULL value
prints nothing; with --json the value is printed as JSON: a string, or null
for NULL. A flag that does not exist is an error.`,
	runGet)

func runGet(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	asJSON := cf.jsonFlag()
	pos, err := cf.parse(args, 1, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	if err := waffle.ValidateName("string flag", name); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		v, err := s.Get(ctx, name)
		if err != nil {
			return err
		}
		switch {
		case !v.Found() && !v.Null():
			return &waffle.NotFoundError{Kind: "string flag", Name: name}
		case *asJSON && v.Null():
			return writeJSON(a.stdout, nil)
		case *asJSON:
			return writeJSON(a.stdout, v.String())
		case v.Null():
			return nil
		}
		a.printf("%s\n", v.String())
		return nil
	})
}

var setCommand = newCommand("set", "set the value of a string flag", "NAME VALUE | --null NAME",
	`Stores VALUE, as it is, as the string flag NAME, creating it when it does not
exist. --null stores NULL, which reads as missing.`,
	runSet)

func runSet(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	null := cf.Bool("null", false, "store NULL instead of a value")
	pos, err := cf.parse(args, 1, 2)
	if err != nil {
		return err
	}
	switch {
	case *null && len(pos) == 2:
		return cf.usageErr("--null takes no value")
	case !*null && len(pos) == 1:
		return cf.usageErr("give a value, or --null")
	}
	name := pos[0]
	var value any // nil: NULL
	shown := "NULL"
	if !*null {
		value = pos[1]
		shown = strconv.Quote(pos[1])
	}
	if err := waffle.ValidateName("string flag", name); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		if err := s.Set(ctx, name, value); err != nil {
			return err
		}
		a.printf("String flag %s: %s\n", name, shown)
		return nil
	})
}

var loadJSONCommand = newCommand("load-json", "set string flags from a JSON file, all or nothing", "FILE|-",
	`Sets the string flags of a JSON object, or of an array of objects (later keys
win), read from FILE or, with -, from standard input: strings as they are,
true as "True", false as "", null as NULL and numbers as their text. Every key
and value is checked before anything is written, and all flags are written in
one transaction: on any error the database is left as it was. dump-json
writes what load-json reads.`,
	runLoadJSON)

func runLoadJSON(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	pos, err := cf.parse(args, 1, 1)
	if err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		var blob []byte
		if pos[0] == "-" {
			blob, err = io.ReadAll(a.stdin)
		} else {
			blob, err = os.ReadFile(pos[0])
		}
		if err != nil {
			return fmt.Errorf("reading the JSON: %w", err)
		}
		if err := s.SetFromJSON(ctx, blob); err != nil {
			return err
		}
		from := pos[0]
		if from == "-" {
			from = "standard input"
		}
		a.printf("Loaded %d string flags from %s\n", countKeys(blob), from)
		return nil
	})
}

// countKeys counts the distinct keys of JSON that SetFromJSON accepted: an
// object or an array of objects.
func countKeys(blob []byte) int {
	var v any
	if err := json.Unmarshal(trimBOM(blob), &v); err != nil {
		return 0
	}
	keys := map[string]bool{}
	add := func(o any) {
		if m, ok := o.(map[string]any); ok {
			for k := range m {
				keys[k] = true
			}
		}
	}
	if arr, ok := v.([]any); ok {
		for _, o := range arr {
			add(o)
		}
	} else {
		add(v)
	}
	return len(keys)
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

var dumpJSONCommand = newCommand("dump-json", "print every string flag as JSON that load-json reads back", "[--output FILE]",
	`Prints every string flag as one JSON object, name to value, sorted by name,
with null for a NULL value: load-json reads it back unchanged.`,
	runDumpJSON)

func runDumpJSON(ctx context.Context, a *app, cf *cmdFlags, args []string) error {
	output := cf.String("output", "", "write to FILE instead of standard output")
	if _, err := cf.parse(args, 0, 0); err != nil {
		return err
	}
	return withStore(ctx, cf, func(s *waffle.Store) error {
		flags, err := s.ListStringFlags(ctx)
		if err != nil {
			return err
		}
		m := make(map[string]*string, len(flags)) // encoding/json sorts the keys
		for _, f := range flags {
			m[f.Name] = f.Value
		}
		if *output == "" {
			return writeJSON(a.stdout, m)
		}
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		if err := writeJSON(f, m); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return errors.Join(fmt.Errorf("writing %s", *output), err)
		}
		return nil
	})
}
