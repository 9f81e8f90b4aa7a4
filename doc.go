// Package waffle is a feature-flag library for Go services that keeps its
// flags in the application's own database (PostgreSQL or SQLite, through
// GORM): django-waffle's Flags, Switches and Samples, flagday's string flags,
// and waffle-window's time windows.
//
// Reads are stateless: every evaluation is one SQL statement, so every
// process sees a change at its next read, and a read inside the application's
// transaction sees that transaction's writes.
//
// # Getting started
//
//	db, _ := gorm.Open(sqlite.Open("file:app.db?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL"), &gorm.Config{})
//	store, err := waffle.New(db, nil)     // no DDL, no goroutine
//	err = store.Migrate(ctx)              // explicit, versioned, idempotent
//	err = store.SetSwitch(ctx, "maintenance", true)
//	on, err := store.SwitchIsActive(ctx, "maintenance")
package waffle
