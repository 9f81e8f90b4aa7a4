package waffle

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/migrations"
)

// Migration is one version of the library's schema for one dialect.
type Migration struct {
	Version int    // 1, 2, ...: the same numbers in every dialect
	Name    string // from the file name, such as "initial"
	SQL     string // idempotent statements (IF NOT EXISTS)
}

// MigrationState is a migration and whether the database has it.
type MigrationState struct {
	Migration
	Applied   bool      // the database has this version
	AppliedAt time.Time // zero when not applied
}

// Migrations returns the embedded migrations of dialect ("postgres" or
// "sqlite") in version order.
func Migrations(dialect string) ([]Migration, error) {
	if query.For(dialect) == nil {
		return nil, fmt.Errorf("%w %q: waffle supports postgres and sqlite", ErrUnsupportedDatabase, dialect)
	}
	entries, err := fs.ReadDir(migrations.FS, dialect)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		file := e.Name()
		num, name, ok := strings.Cut(strings.TrimSuffix(file, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(file, ".sql") {
			return nil, fmt.Errorf("waffle: migration file %s/%s is not named NNNN_name.sql", dialect, file)
		}
		b, err := fs.ReadFile(migrations.FS, path.Join(dialect, file))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("waffle: migrations for %s are not numbered 1, 2, ...: found version %d at position %d", dialect, m.Version, i+1)
		}
	}
	return out, nil
}

// MigrationScript returns every migration of dialect as one SQL script, for
// teams that run their own migration tool. Besides the schema it creates the
// version table and records each version in it, so that [Store.Migrate] later
// finds the schema up to date. The script is idempotent on PostgreSQL; on
// SQLite, which cannot add a column idempotently, version 5 (ALTER TABLE ...
// ADD COLUMN) fails when run a second time: run the script once.
func MigrationScript(dialect string) (string, error) {
	ms, err := Migrations(dialect)
	if err != nil {
		return "", err
	}
	q := query.For(dialect)
	var b strings.Builder
	fmt.Fprintf(&b, "-- waffle schema for %s, versions 1 to %d.\n\n", dialect, len(ms))
	b.WriteString(q.SQL("schema_version_create"))
	b.WriteString(";\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "\n-- version %d: %s\n", m.Version, m.Name)
		b.WriteString(strings.TrimSpace(m.SQL))
		fmt.Fprintf(&b, "\nINSERT INTO waffle_schema_version (version, name) VALUES (%d, '%s') ON CONFLICT (version) DO NOTHING;\n",
			m.Version, strings.ReplaceAll(m.Name, "'", "''"))
	}
	return b.String(), nil
}

// Migrate brings the database's schema up to the newest version. It is
// idempotent, and safe when several processes run it at once: they queue on a
// lock (an advisory lock per schema on PostgreSQL, the write lock on SQLite)
// and all but the first find nothing to do. All versions apply in one
// transaction: a failure leaves the schema as it was.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := Migrations(s.Dialect())
	if err != nil {
		return err
	}
	err = s.writeTx(ctx, func(ex execer) error {
		if _, err := s.exec(ctx, ex, "migrate_lock"); err != nil {
			return err
		}
		if _, err := s.exec(ctx, ex, "schema_version_create"); err != nil {
			return err
		}
		applied, err := s.appliedVersions(ctx, ex)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if _, ok := applied[m.Version]; ok {
				continue
			}
			if _, err := ex.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("applying version %d (%s): %w", m.Version, m.Name, err)
			}
			if _, err := s.exec(ctx, ex, "schema_version_insert", m.Version, m.Name, s.now()); err != nil {
				return fmt.Errorf("recording version %d: %w", m.Version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("waffle: migrating the %s schema: %w", s.Dialect(), err)
	}
	return nil
}

// MigrationStatus lists every migration and whether the database has it.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	ms, err := Migrations(s.Dialect())
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := s.pool().QueryRowContext(ctx, s.q.SQL("schema_version_exists")).Scan(&exists); err != nil {
		return nil, fmt.Errorf("waffle: reading the migration status: %w", err)
	}
	applied := map[int]time.Time{}
	if exists {
		if applied, err = s.appliedVersions(ctx, s.pool()); err != nil {
			return nil, fmt.Errorf("waffle: reading the migration status: %w", err)
		}
	}
	out := make([]MigrationState, len(ms))
	for i, m := range ms {
		at, ok := applied[m.Version]
		out[i] = MigrationState{Migration: m, Applied: ok, AppliedAt: at}
	}
	return out, nil
}

func (s *Store) appliedVersions(ctx context.Context, ex execer) (map[int]time.Time, error) {
	rows, err := s.query(ctx, ex, "schema_version_list")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var v int
		var name string
		var at time.Time
		if err := rows.Scan(&v, &name, &at); err != nil {
			return nil, err
		}
		applied[v] = at
	}
	return applied, rows.Err()
}
