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
//
// # Time windows
//
// A [FlagMember] gives a user a flag for a while (waffle-window): it is
// active when Start <= now < End by Config.Now, End optional. A user may
// hold several windows for one flag. [Store.AddMember], [Store.ListMembers],
// [Store.UpdateMember] and [Store.DeleteMember] manage them.
//
// Windows take effect through a sync: [Store.SyncMembership] makes each
// flag's group "WAFFLE_<flag>", attached to the flag, hold exactly
// the users with an active window, with set-based statements in one
// transaction per flag that write only what changed; [Store.SyncMember] does
// it for one user, looking at all of the user's windows; [Store.SyncLoop]
// repeats the sync on an interval. Every replica may sync at the same time.
// Evaluation then sees the group like any other, in its one statement.
package waffle
