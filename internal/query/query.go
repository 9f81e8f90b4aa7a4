// Package query holds every SQL statement the library sends, one directory per
// dialect (postgres/ and sqlite/), one file per concept, each statement named
// by a "-- name: x" line above it. Both dialects define the same names; a test
// checks it.
package query

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Dialects supported by the library, as gorm's Dialector.Name reports them.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Set is the statements of one dialect, by name.
type Set struct {
	Dialect string
	byName  map[string]string
}

var sets = map[string]*Set{}

func init() {
	for _, d := range []string{Postgres, SQLite} {
		s, err := load(files, d)
		if err != nil {
			// The SQL is compiled into the binary: a parse failure is a
			// packaging bug that any test catches.
			panic("waffle/internal/query: " + err.Error())
		}
		sets[d] = s
	}
}

// For returns the statements of dialect, or nil for an unknown dialect.
func For(dialect string) *Set { return sets[dialect] }

// SQL returns the statement called name. A missing name is a programming
// error and panics, with the name, the first time a test runs it.
func (s *Set) SQL(name string) string {
	q, ok := s.byName[name]
	if !ok {
		panic("waffle/internal/query: no statement " + name + " for " + s.Dialect)
	}
	return q
}

// Names returns the names of every statement, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func load(fsys fs.FS, dir string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	s := &Set{Dialect: dir, byName: map[string]string{}}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := parse(s.byName, string(b)); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, e.Name(), err)
		}
	}
	return s, nil
}

// parse adds the named statements of one file to into.
func parse(into map[string]string, text string) error {
	const marker = "-- name: "
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			if strings.TrimSpace(body.String()) != "" && !onlyComments(body.String()) {
				return fmt.Errorf("SQL before the first %q line", marker)
			}
			return nil
		}
		q := strings.TrimSpace(body.String())
		q = strings.TrimSuffix(q, ";")
		if q == "" {
			return fmt.Errorf("statement %s is empty", name)
		}
		if _, dup := into[name]; dup {
			return fmt.Errorf("statement %s defined twice", name)
		}
		into[name] = q
		return nil
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(line, marker) {
			if err := flush(); err != nil {
				return err
			}
			name = strings.TrimSpace(strings.TrimPrefix(line, marker))
			body.Reset()
			continue
		}
		body.WriteString(line)
	}
	return flush()
}

func onlyComments(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return true
}
