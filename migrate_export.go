package waffle

import (
	"fmt"
	"strings"

	"github.com/gowaffle/waffle/internal/query"
)

// MigrationFormat names a migration tool whose file layout
// [MigrationFiles] writes.
type MigrationFormat string

// The formats [MigrationFiles] writes.
const (
	// MigrationFormatGolangMigrate is golang-migrate's: NNNN_name.up.sql and
	// NNNN_name.down.sql per version.
	MigrationFormatGolangMigrate MigrationFormat = "golang-migrate"
	// MigrationFormatGoose is goose's: one NNNN_name.sql per version, with
	// -- +goose Up and -- +goose Down sections.
	MigrationFormatGoose MigrationFormat = "goose"
)

// MigrationFile is one file of an export: a name without directory, and its
// content.
type MigrationFile struct {
	Name    string
	Content string
}

// MigrationFiles returns every migration of dialect as files of format, for
// teams that run their own migration tool. Besides the schema, each version
// records itself in waffle_schema_version (reverting version 1 drops that
// table), so that [Store.Migrate] and the CLI find the schema where the
// tool left it.
func MigrationFiles(dialect string, format MigrationFormat) ([]MigrationFile, error) {
	if format != MigrationFormatGoose && format != MigrationFormatGolangMigrate {
		return nil, &ValueError{Kind: "migration", Field: "format",
			Reason: fmt.Sprintf("%q is not goose or golang-migrate", string(format))}
	}
	ms, err := Migrations(dialect)
	if err != nil {
		return nil, err
	}
	var out []MigrationFile
	for _, m := range ms {
		base := fmt.Sprintf("%04d_%s", m.Version, m.Name)
		up, down := exportUp(dialect, m), exportDown(dialect, m)
		if format == MigrationFormatGolangMigrate {
			out = append(out,
				MigrationFile{Name: base + ".up.sql", Content: up},
				MigrationFile{Name: base + ".down.sql", Content: down})
			continue
		}
		var b strings.Builder
		b.WriteString("-- +goose Up\n")
		writeGooseStatements(&b, up)
		b.WriteString("\n-- +goose Down\n")
		writeGooseStatements(&b, down)
		out = append(out, MigrationFile{Name: base + ".sql", Content: b.String()})
	}
	return out, nil
}

// exportUp is version m's up SQL followed by its row in the version table.
func exportUp(dialect string, m Migration) string {
	return fmt.Sprintf("%s\n\n-- waffle's own record of the version, read by Store.Migrate.\n%s;\n%s\n",
		strings.TrimSpace(m.Up), strings.TrimSpace(query.For(dialect).SQL("schema_version_create")), versionInsert(m))
}

// exportDown is version m's down SQL followed by the removal of its row
// (of the whole version table for version 1).
func exportDown(dialect string, m Migration) string {
	record := fmt.Sprintf("DELETE FROM waffle_schema_version WHERE version = %d;", m.Version)
	if m.Version == 1 {
		record = strings.TrimSpace(query.For(dialect).SQL("schema_version_drop")) + ";"
	}
	return fmt.Sprintf("%s\n\n-- waffle's own record of the version.\n%s\n", strings.TrimSpace(m.Down), record)
}

func versionInsert(m Migration) string {
	return fmt.Sprintf("INSERT INTO waffle_schema_version (version, name) VALUES (%d, '%s') ON CONFLICT (version) DO NOTHING;",
		m.Version, strings.ReplaceAll(m.Name, "'", "''"))
}

// writeGooseStatements writes script for goose, which ends a statement at
// a line ending with ";": a statement with a semicolon before its end (a
// function or trigger body) goes between StatementBegin and StatementEnd.
func writeGooseStatements(b *strings.Builder, script string) {
	for _, chunk := range splitStatements(script) {
		if !chunk.statement || !strings.Contains(strings.TrimSuffix(chunk.text, ";"), ";") {
			b.WriteString(chunk.text)
			b.WriteString("\n")
			continue
		}
		b.WriteString("-- +goose StatementBegin\n")
		b.WriteString(chunk.text)
		b.WriteString("\n-- +goose StatementEnd\n")
	}
}

// sqlChunk is a run of lines of a script: one statement, or the comments and
// blank lines between statements.
type sqlChunk struct {
	text      string
	statement bool
}

// splitStatements cuts script into statements at lines that end with ";",
// except inside a dollar-quoted body (PostgreSQL functions) or between the
// BEGIN and END; of a SQLite trigger. Comments on their own lines between
// statements become chunks of their own.
func splitStatements(script string) []sqlChunk {
	var out []sqlChunk
	var cur []string
	dollar, trigger := false, false
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		code := strings.TrimSpace(line)
		if i := strings.Index(code, "--"); i >= 0 {
			code = strings.TrimSpace(code[:i])
		}
		if len(cur) == 0 && code == "" {
			out = append(out, sqlChunk{text: line})
			continue
		}
		cur = append(cur, line)
		if strings.Count(code, "$$")%2 == 1 {
			dollar = !dollar
		}
		upper := strings.ToUpper(code)
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(cur[0])), "CREATE TRIGGER") &&
			(upper == "BEGIN" || strings.HasSuffix(upper, " BEGIN")) {
			trigger = true
		}
		if dollar || !strings.HasSuffix(code, ";") || (trigger && upper != "END;") {
			continue
		}
		out = append(out, sqlChunk{text: strings.Join(cur, "\n"), statement: true})
		cur, trigger = nil, false
	}
	if len(cur) > 0 {
		out = append(out, sqlChunk{text: strings.Join(cur, "\n"), statement: true})
	}
	return out
}

// MigrationScript returns every migration of dialect as one idempotent SQL
// script, with the version table and each version's row in it, for teams
// that paste the schema into their own migrations.
func MigrationScript(dialect string) (string, error) {
	ms, err := Migrations(dialect)
	if err != nil {
		return "", err
	}
	q := query.For(dialect)
	var b strings.Builder
	fmt.Fprintf(&b, "-- waffle schema for %s, versions 1 to %d.\n\n", dialect, len(ms))
	b.WriteString(strings.TrimSpace(q.SQL("schema_version_create")))
	b.WriteString(";\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "\n-- version %d: %s\n", m.Version, m.Name)
		b.WriteString(strings.TrimSpace(m.Up))
		b.WriteString("\n")
		b.WriteString(versionInsert(m))
		b.WriteString("\n")
	}
	return b.String(), nil
}
