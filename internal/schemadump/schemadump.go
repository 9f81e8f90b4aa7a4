// Package schemadump lists a database's waffle_ objects from its catalog as
// sorted text lines, so that tests can compare two schemas: the one the
// migrations make with the one an older layout or another tool makes.
// Objects whose names do not start with waffle_ (a migration tool's own
// table) are left out, and so is the name of the PostgreSQL schema.
package schemadump

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Dump returns the catalog of db's current schema ("postgres" or "sqlite"
// dialect), one object per line, sorted.
func Dump(ctx context.Context, db *sql.DB, dialect string) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var queries []string
	switch dialect {
	case "postgres":
		queries = postgresQueries
	case "sqlite":
		queries = sqliteQueries
	default:
		return nil, fmt.Errorf("schemadump: unknown dialect %q", dialect)
	}
	schema := ""
	if dialect == "postgres" {
		if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, q := range queries {
		lines, err := dumpQuery(ctx, conn, q, dialect, schema)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	sort.Strings(out)
	return out, nil
}

// dumpQuery runs one catalog query, whose rows are (kind, name, definition).
func dumpQuery(ctx context.Context, conn *sql.Conn, q, dialect, schema string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("schemadump: %w: %s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, name, def string
		if err := rows.Scan(&kind, &name, &def); err != nil {
			return nil, err
		}
		if schema != "" {
			def = strings.ReplaceAll(def, schema, "SCHEMA")
		}
		if dialect == "sqlite" {
			def = normalize(def)
		}
		out = append(out, kind+" "+name+": "+def)
	}
	return out, rows.Err()
}

var (
	comment = regexp.MustCompile(`--[^\n]*`)
	space   = regexp.MustCompile(`\s+`)
)

// normalize makes SQLite's stored CREATE text comparable: no comments, one
// space for any run of white space, no IF NOT EXISTS.
func normalize(def string) string {
	def = comment.ReplaceAllString(def, "")
	def = strings.TrimSpace(space.ReplaceAllString(def, " "))
	return strings.Replace(def, " IF NOT EXISTS", "", 1)
}

var postgresQueries = []string{
	`SELECT 'column', table_name || '.' || column_name,
		ordinal_position || ' ' || data_type || ' ' || coalesce(character_maximum_length::text, '') || ' ' ||
		is_nullable || ' ' || coalesce(column_default, '')
	FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'waffle\_%'`,
	`SELECT 'constraint', c.conrelid::regclass::text || '.' || c.conname, c.contype::text || ' ' || pg_get_constraintdef(c.oid)
	FROM pg_constraint c WHERE c.connamespace = current_schema()::regnamespace AND c.conrelid::regclass::text LIKE 'waffle\_%'`,
	`SELECT 'index', indexname, indexdef FROM pg_indexes
	WHERE schemaname = current_schema() AND tablename LIKE 'waffle\_%'`,
	`SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid)
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'waffle\_%'`,
	`SELECT 'function', p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
	WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'waffle\_%'`,
	`SELECT 'view', viewname, definition FROM pg_views
	WHERE schemaname = current_schema() AND viewname LIKE 'waffle\_%'`,
	`SELECT 'sequence', sequence_name, data_type || ' ' || start_value || ' ' || increment
	FROM information_schema.sequences WHERE sequence_schema = current_schema() AND sequence_name LIKE 'waffle\_%'`,
}

var sqliteQueries = []string{
	`SELECT type, name, coalesce(sql, tbl_name) FROM sqlite_master WHERE tbl_name LIKE 'waffle\_%' ESCAPE '\'`,
}
