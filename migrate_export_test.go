package waffle

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

func TestMigrationFilesNames(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		ms, err := Migrations(d)
		require.NoError(t, err)
		gm, err := MigrationFiles(d, MigrationFormatGolangMigrate)
		require.NoError(t, err)
		goose, err := MigrationFiles(d, MigrationFormatGoose)
		require.NoError(t, err)
		require.Len(t, gm, 2*len(ms))
		require.Len(t, goose, len(ms))
		for i, m := range ms {
			base := fmt.Sprintf("%04d_%s", m.Version, m.Name)
			require.Equal(t, base+".up.sql", gm[2*i].Name)
			require.Equal(t, base+".down.sql", gm[2*i+1].Name)
			require.Contains(t, gm[2*i].Content, strings.TrimSpace(m.Up))
			require.Contains(t, gm[2*i+1].Content, strings.TrimSpace(m.Down))
			require.Equal(t, base+".sql", goose[i].Name)
			up, down, ok := strings.Cut(goose[i].Content, "\n-- +goose Down\n")
			require.True(t, ok)
			require.True(t, strings.HasPrefix(up, "-- +goose Up\n"))
			require.Equal(t, strings.Count(goose[i].Content, "StatementBegin"), strings.Count(goose[i].Content, "StatementEnd"))
			require.NotContains(t, down, "+goose Up")
		}
	}
	_, err := MigrationFiles("sqlite", "flyway")
	require.ErrorIs(t, err, ErrInvalidValue)
	require.Contains(t, err.Error(), "flyway")
	_, err = MigrationFiles("mysql", MigrationFormatGoose)
	require.ErrorIs(t, err, ErrUnsupportedDatabase)
}

// Goose ends a statement at a line ending with ";" unless it stands between
// StatementBegin and StatementEnd. Run each statement of the goose files one
// at a time, as goose does: the schema is the one Migrate makes, and down
// removes it. (internal/migratecheck runs the real goose too.)
func TestMigrationFilesGooseStatements(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s, err := New(db.Open(t), nil)
		require.NoError(t, err)
		files, err := MigrationFiles(db.Kind, MigrationFormatGoose)
		require.NoError(t, err)
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		run := func(section string) int {
			n := 0
			for _, stmt := range gooseStatements(t, section) {
				_, err := sqlDB.ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
				n++
			}
			return n
		}
		var downs []string
		for i, f := range files {
			up, down, _ := strings.Cut(f.Content, "-- +goose Down\n")
			if n := run(up); i == 0 {
				require.Greater(t, n, 10, "version 1 is the whole schema")
			} else {
				require.Positive(t, n, f.Name)
			}
			downs = append([]string{down}, downs...)
		}
		fresh, err := New(testdb.New(t, db.Kind).Open(t), nil)
		require.NoError(t, err)
		require.NoError(t, fresh.Migrate(ctx))
		require.Equal(t, dumpSchema(t, fresh), dumpSchema(t, s))
		status, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range status {
			require.True(t, m.Applied, "the files record version %d", m.Version)
		}
		for _, down := range downs {
			run(down)
		}
		require.Empty(t, dumpSchema(t, s))
	})
}

// gooseStatements cuts a goose section into statements the way goose does:
// at lines ending with ";" outside StatementBegin/StatementEnd, skipping
// comment lines outside statements.
func gooseStatements(t *testing.T, section string) []string {
	t.Helper()
	var out []string
	var cur []string
	block := false
	for _, line := range strings.Split(section, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "-- +goose StatementBegin":
			block = true
			continue
		case trimmed == "-- +goose StatementEnd":
			require.True(t, block)
			out = append(out, strings.Join(cur, "\n"))
			cur, block = nil, false
			continue
		case !block && (trimmed == "" || strings.HasPrefix(trimmed, "--")) && len(cur) == 0:
			continue
		}
		cur = append(cur, line)
		if !block && strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	require.False(t, block)
	require.Empty(t, cur, "a statement without its ;")
	return out
}
