package query

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Django mode's two dialects define the same statements, and each either
// replaces one of the library's own (same name) or is Django mode's alone
// (django_*): a misspelt override would otherwise leave the library's
// statement in place, silently, on Django's tables.
func TestDjangoStatements(t *testing.T) {
	pg, lite := DjangoOverrides(Postgres), DjangoOverrides(SQLite)
	require.NotNil(t, pg)
	require.NotNil(t, lite)
	require.Equal(t, pg.Names(), lite.Names())
	for _, name := range pg.Names() {
		if strings.HasPrefix(name, "django_") {
			continue
		}
		_, ok := For(Postgres).byName[name]
		require.True(t, ok, "django_postgres defines %s, which the library does not", name)
	}
	for _, d := range []string{Postgres, SQLite} {
		merged := ForDjango(d)
		require.Len(t, merged.Names(), len(For(d).Names())+countPrefixed(DjangoOverrides(d).Names(), "django_"))
		require.Equal(t, DjangoOverrides(d).SQL("flag_eval"), merged.SQL("flag_eval"))
		require.Equal(t, For(d).SQL("switch_active"), merged.SQL("switch_active"))
	}
	require.Nil(t, ForDjango("mysql"))
}

func countPrefixed(names []string, prefix string) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}
