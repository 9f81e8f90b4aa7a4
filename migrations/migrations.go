// Package migrations embeds the library's versioned schema: one directory per
// dialect (postgres/ and sqlite/), files named NNNN_name.sql with the same
// version numbers in both. [github.com/gowaffle/waffle.Store.Migrate] applies
// them; [github.com/gowaffle/waffle.Migrations] returns them for teams that
// run their own migration tool.
//
// Every statement is idempotent (IF NOT EXISTS), so the files can also be run
// by hand.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
