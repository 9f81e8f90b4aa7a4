package migrations

import "embed"

// DjangoFS holds django/postgres/*.sql and django/sqlite/*.sql: Django mode's
// schema, which creates only the library's own tables (string flags, the
// library's time windows and the audit trail) beside the tables Django's
// migrations own: two files per version, NNNN_name.up.sql and
// NNNN_name.down.sql, as in the library's own directories.
//
//go:embed django/postgres/*.sql django/sqlite/*.sql
var DjangoFS embed.FS
