package waffle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/migrations"
)

// ErrMigrationVersion matches a *MigrationVersionError: a target version the
// library does not have, or a database whose versions do not match the
// library's migrations.
var ErrMigrationVersion = errors.New("waffle: schema version")

// MigrationVersionError reports a version [Store.MigrateUp] or
// [Store.MigrateDown] cannot go to or from.
type MigrationVersionError struct {
	Dialect string
	Version int
	Reason  string
}

// Error names the version and says what is wrong with it.
func (e *MigrationVersionError) Error() string {
	return fmt.Sprintf("waffle: %s schema version %d: %s", e.Dialect, e.Version, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMigrationVersion) hold.
func (e *MigrationVersionError) Unwrap() error { return ErrMigrationVersion }

// Migration is one version of the library's schema for one dialect.
type Migration struct {
	Version int    // 1, 2, ...: the same numbers in every dialect
	Name    string // from the file name, such as "initial"
	Up      string // the statements that apply the version (idempotent)
	Down    string // the statements that revert it, dropping its data
}

// MigrationState is a migration and whether the database has it.
type MigrationState struct {
	Migration
	Applied   bool      // the database has this version
	AppliedAt time.Time // zero when not applied
}

// MigrateResult is what one call of [Store.MigrateUp] or [Store.MigrateDown]
// did. Versions lists only what this call applied or reverted: when several
// processes migrate at once, each version appears in the result of exactly
// one of them.
type MigrateResult struct {
	Direction string            // "up" or "down"
	Versions  []MigratedVersion // in the order they ran; empty when there was nothing to do
	Current   int               // the database's newest version afterwards, 0 when it has none
}

// MigratedVersion is one version applied or reverted, in its own
// transaction.
type MigratedVersion struct {
	Version  int
	Name     string
	Duration time.Duration
}

// Migrations returns the embedded migrations of dialect ("postgres" or
// "sqlite") in version order.
func Migrations(dialect string) ([]Migration, error) {
	if query.For(dialect) == nil {
		return nil, fmt.Errorf("%w %q: waffle supports postgres and sqlite", ErrUnsupportedDatabase, dialect)
	}
	return readMigrations(migrations.FS, dialect, "")
}

// readMigrations reads the NNNN_name.up.sql and NNNN_name.down.sql files of
// dir in fsys, in version order; each name gets prefix.
func readMigrations(fsys fs.FS, dir, prefix string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		file := e.Name()
		base, ext, _ := strings.Cut(file, ".")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || (ext != "up.sql" && ext != "down.sql") {
			return nil, fmt.Errorf("waffle: migration file %s/%s is not named NNNN_name.up.sql or NNNN_name.down.sql", dir, file)
		}
		b, err := fs.ReadFile(fsys, dir+"/"+file)
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: prefix + name}
			byVersion[v] = m
		}
		if m.Name != prefix+name {
			return nil, fmt.Errorf("waffle: migration %s/%s: version %d is also named %q", dir, file, v, m.Name)
		}
		if ext == "up.sql" {
			m.Up = string(b)
		} else {
			m.Down = string(b)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("waffle: migration %s version %d needs both an .up.sql and a .down.sql file", dir, m.Version)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("waffle: migrations for %s are not numbered 1, 2, ...: found version %d at position %d", dir, m.Version, i+1)
		}
	}
	return out, nil
}

// Migrate brings the database's schema up to the newest version: the
// one-line way for applications, [Store.MigrateUp] with no target. It is
// idempotent and safe when several processes run it at once.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.MigrateUp(ctx, 0)
	return err
}

// MigrateUp applies the versions the database lacks, up to and including
// version to (0: the newest), each in its own transaction with its row in
// the version table. Several processes may run it at once: each version's
// transaction first takes a lock (a transaction-scoped advisory lock per
// schema on PostgreSQL, the write lock on SQLite) and applies the version
// only if no one has. A failure leaves the versions before it applied; the
// result returned with the error lists them.
func (s *Store) MigrateUp(ctx context.Context, to int) (*MigrateResult, error) {
	if err := s.checkSchemaOwner(ctx); err != nil {
		return nil, err
	}
	return s.migrate(ctx, "up", to)
}

// MigrateDown reverts the applied versions above version to, newest first,
// each in its own transaction; to 0 removes the whole schema, the version
// table included. Reverting drops the version's tables and their data.
func (s *Store) MigrateDown(ctx context.Context, to int) (*MigrateResult, error) {
	return s.migrate(ctx, "down", to)
}

func (s *Store) migrate(ctx context.Context, direction string, to int) (*MigrateResult, error) {
	ms, err := s.migrations()
	if err != nil {
		return nil, err
	}
	return s.migrateWith(ctx, ms, direction, to)
}

// migrateWith runs ms (versions 1 to len(ms), in order) up or down to
// version to.
func (s *Store) migrateWith(ctx context.Context, ms []Migration, direction string, to int) (*MigrateResult, error) {
	if direction == "up" && to == 0 {
		to = len(ms)
	}
	if to < 0 || to > len(ms) {
		return nil, &MigrationVersionError{Dialect: s.Dialect(), Version: to,
			Reason: fmt.Sprintf("this library has versions 1 to %d", len(ms))}
	}
	res := &MigrateResult{Direction: direction, Versions: []MigratedVersion{}}
	for {
		var step *MigratedVersion
		err := s.writeTx(ctx, func(ex execer) error {
			var err error
			if direction == "up" {
				step, res.Current, err = s.stepUp(ctx, ex, ms, to)
			} else {
				step, res.Current, err = s.stepDown(ctx, ex, ms, to)
			}
			return err
		})
		if err != nil {
			return res, fmt.Errorf("waffle: migrating the %s schema %s: %w", s.Dialect(), direction, err)
		}
		if step == nil {
			return res, nil
		}
		res.Versions = append(res.Versions, *step)
		s.cfg.Logger.DebugContext(ctx, "waffle: migrated", "direction", direction,
			"version", step.Version, "name", step.Name, "duration", step.Duration)
	}
}

// stepUp applies the lowest version up to to that the database lacks, under
// the migration lock, and returns it (nil when there is none) and the
// database's newest version afterwards.
func (s *Store) stepUp(ctx context.Context, ex execer, ms []Migration, to int) (*MigratedVersion, int, error) {
	if _, err := s.exec(ctx, ex, "migrate_lock"); err != nil {
		return nil, 0, err
	}
	if _, err := s.exec(ctx, ex, "schema_version_create"); err != nil {
		return nil, 0, err
	}
	applied, err := s.appliedVersions(ctx, ex)
	if err != nil {
		return nil, 0, err
	}
	if err := s.checkNames(ms, applied); err != nil {
		return nil, 0, err
	}
	for _, m := range ms[:to] {
		if _, ok := applied[m.Version]; ok {
			continue
		}
		start := time.Now()
		if _, err := ex.ExecContext(ctx, m.Up); err != nil {
			return nil, 0, fmt.Errorf("applying version %d (%s): %w", m.Version, m.Name, err)
		}
		if _, err := s.exec(ctx, ex, "schema_version_insert", m.Version, m.Name, s.now()); err != nil {
			return nil, 0, fmt.Errorf("recording version %d: %w", m.Version, err)
		}
		applied[m.Version] = appliedVersion{name: m.Name}
		return &MigratedVersion{Version: m.Version, Name: m.Name, Duration: time.Since(start)}, newest(applied), nil
	}
	return nil, newest(applied), nil
}

// stepDown reverts the newest applied version above to, under the migration
// lock, and returns it (nil when there is none) and the database's newest
// version afterwards.
func (s *Store) stepDown(ctx context.Context, ex execer, ms []Migration, to int) (*MigratedVersion, int, error) {
	if _, err := s.exec(ctx, ex, "migrate_lock"); err != nil {
		return nil, 0, err
	}
	var exists bool
	if err := ex.QueryRowContext(ctx, s.q.SQL("schema_version_exists")).Scan(&exists); err != nil {
		return nil, 0, err
	}
	if !exists {
		return nil, 0, nil
	}
	applied, err := s.appliedVersions(ctx, ex)
	if err != nil {
		return nil, 0, err
	}
	if err := s.checkNames(ms, applied); err != nil {
		return nil, 0, err
	}
	v := newest(applied)
	if v <= to {
		return nil, v, nil
	}
	if v > len(ms) {
		return nil, 0, &MigrationVersionError{Dialect: s.Dialect(), Version: v,
			Reason: fmt.Sprintf("the database has it, this library knows versions 1 to %d only: revert it with a newer one", len(ms))}
	}
	m := ms[v-1]
	start := time.Now()
	if _, err := ex.ExecContext(ctx, m.Down); err != nil {
		return nil, 0, fmt.Errorf("reverting version %d (%s): %w", m.Version, m.Name, err)
	}
	delete(applied, v)
	record := "schema_version_delete"
	args := []any{v}
	if len(applied) == 0 {
		record, args = "schema_version_drop", nil
	}
	if _, err := s.exec(ctx, ex, record, args...); err != nil {
		return nil, 0, fmt.Errorf("recording the revert of version %d: %w", v, err)
	}
	return &MigratedVersion{Version: m.Version, Name: m.Name, Duration: time.Since(start)}, newest(applied), nil
}

// checkNames refuses a database whose applied versions carry other names
// than the library's: a schema from before the squash of versions 1 to 4,
// or from another branch of the library.
func (s *Store) checkNames(ms []Migration, applied map[int]appliedVersion) error {
	for v, a := range applied {
		if v <= len(ms) && ms[v-1].Name != a.name {
			return &MigrationVersionError{Dialect: s.Dialect(), Version: v,
				Reason: fmt.Sprintf("the database's version is %q, this library's is %q (see docs/migrations.md)", a.name, ms[v-1].Name)}
		}
	}
	return nil
}

func newest(applied map[int]appliedVersion) int {
	n := 0
	for v := range applied {
		n = max(n, v)
	}
	return n
}

// MigrationStatus lists every migration and whether the database has it
// (in Django mode, Django mode's: [DjangoMigrations]).
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	ms, err := s.migrations()
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := s.pool().QueryRowContext(ctx, s.q.SQL("schema_version_exists")).Scan(&exists); err != nil {
		return nil, fmt.Errorf("waffle: reading the migration status: %w", err)
	}
	applied := map[int]appliedVersion{}
	if exists {
		if applied, err = s.appliedVersions(ctx, s.pool()); err != nil {
			return nil, fmt.Errorf("waffle: reading the migration status: %w", err)
		}
	}
	out := make([]MigrationState, len(ms))
	for i, m := range ms {
		a, ok := applied[m.Version]
		out[i] = MigrationState{Migration: m, Applied: ok, AppliedAt: a.at}
	}
	return out, nil
}

type appliedVersion struct {
	name string
	at   time.Time
}

func (s *Store) appliedVersions(ctx context.Context, ex execer) (map[int]appliedVersion, error) {
	rows, err := s.query(ctx, ex, "schema_version_list")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]appliedVersion{}
	for rows.Next() {
		var v int
		var a appliedVersion
		if err := rows.Scan(&v, &a.name, &a.at); err != nil {
			return nil, err
		}
		applied[v] = a
	}
	return applied, rows.Err()
}
