package query

import (
	"embed"
	"sync"
)

// Django mode's statements: django_postgres/ and django_sqlite/ hold the
// statements that differ on django-waffle's tables (waffle_flag_users,
// waffle_flag_groups, auth_group, auth_user_groups,
// waffle_window_flagmember), under the same names as the library's own, plus
// the django_* statements only Django mode sends. Every other name falls back
// to the dialect's own statement, which reads and writes columns both schemas
// share.

//go:embed django_postgres/*.sql django_sqlite/*.sql
var djangoFiles embed.FS

var (
	djangoOnce sync.Once
	djangoSets = map[string]*Set{}
	djangoOwn  = map[string]*Set{}
)

// loadDjango runs after the package's init has loaded the dialects' own sets.
func loadDjango() {
	for _, d := range []string{Postgres, SQLite} {
		own, err := load(djangoFiles, "django_"+d)
		if err != nil {
			panic("waffle/internal/query: " + err.Error())
		}
		merged := &Set{Dialect: d, byName: map[string]string{}}
		for n, q := range sets[d].byName {
			merged.byName[n] = q
		}
		for n, q := range own.byName {
			merged.byName[n] = q
		}
		djangoSets[d] = merged
		djangoOwn[d] = own
	}
}

// ForDjango returns Django mode's statements for dialect: Django's overrides
// over the dialect's own statements. Nil for an unknown dialect.
func ForDjango(dialect string) *Set {
	djangoOnce.Do(loadDjango)
	return djangoSets[dialect]
}

// DjangoOverrides returns only the statements Django mode defines itself.
func DjangoOverrides(dialect string) *Set {
	djangoOnce.Do(loadDjango)
	return djangoOwn[dialect]
}
