// Package migrations embeds the library's versioned schema: one directory per
// dialect (postgres/ and sqlite/), two files per version,
// NNNN_name.up.sql and NNNN_name.down.sql, with the same version numbers and
// names in both. [github.com/gowaffle/waffle.Store.MigrateUp] and
// [github.com/gowaffle/waffle.Store.MigrateDown] run them;
// [github.com/gowaffle/waffle.MigrationFiles] exports them for goose and
// golang-migrate. Adding a version is adding its two files to each directory
// (see docs/migrations.md).
//
// Up statements are idempotent (IF NOT EXISTS), so they can also be run by
// hand.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
