package migrations

import "embed"

// DjangoFS holds django/postgres/*.sql and django/sqlite/*.sql: Django mode's
// schema, which creates only the library's own tables (string flags and the
// library's time windows) beside the tables Django's migrations own.
//
//go:embed django/postgres/*.sql django/sqlite/*.sql
var DjangoFS embed.FS
