// Package migratecheck proves that the files waffle exports for goose and
// golang-migrate are accepted by the real tools: its test runs each tool's
// Go package up and down on a real SQLite file and on PostgreSQL, and
// compares the schema with the one Store.Migrate makes. It is a module of
// its own so that neither tool becomes a dependency of the library.
package migratecheck
