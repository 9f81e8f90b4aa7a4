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
// Every method takes a context first and passes it to the database.
// [Store.WithTx] returns a Store that works inside a transaction the
// application began.
//
// # Switches
//
// A [Switch] is on or off for everyone. [Store.SetSwitch] creates or updates
// it, [Store.SwitchIsActive] reads it in one statement. A switch that does
// not exist reads as Config.SwitchDefault, and is logged and created when
// Config.LogMissingSwitches and Config.CreateMissingSwitches say so.
//
// # Samples
//
// A [Sample] is on for a percentage of reads: [Store.SampleIsActive] draws a
// number r in [0, 1) from Config.Rand at every call and is on when r*100 <
// percent, so 0 is never on and 100 always. [Store.SetSample] takes a percent
// from 0 to 100 inclusive; anything else, NaN included, is a *ValueError. A
// missing sample reads as Config.SampleDefault, and is created with percent
// 100 or 0 when Config.CreateMissingSamples is set.
//
// # String flags
//
// String flags are flagday's: a name and a text value. [Store.Set] stores
// true as "True", false as "", nil as NULL, strings as they are, integers in
// decimal, floats in shortest form and a [fmt.Stringer] by its String method;
// other types are refused. [Store.Get] returns a [Value]: the stored string,
// flagday's truthiness ([Value.Bool]) and, for a flag that is missing or
// NULL, the sentinel of Config.MissingFlagHandling ([Value.Any]): false, ""
// or nil, or an error matching [ErrNoSuchFlag] in the [Exception] mode.
// [Store.SetFromJSON] loads a JSON object, or an array of objects, of names
// to scalar values in one transaction, after validating all of it; numbers
// keep their literal text.
//
// # Flags
//
// A [Flag] is django-waffle's: on for some requests and off for others.
// [Store.FlagIsActive] decides from the flag's rules and from the request in
// the context: the user of [WithUser], the language of [WithLanguage], and,
// behind [Store.Middleware], the query, headers, cookies and a per-request
// memo. The order is django-waffle's: a missing flag is Config.FlagDefault;
// then Config.Override's query parameter; Everyone (false is absolute);
// testing mode; languages; the user rules (authenticated, staff, superusers,
// listed users, listed groups); percent; off. Identified users get a
// deterministic percent bucket, anonymous visitors django-waffle's cookie and
// draw. Whatever the flag has, an evaluation is one SQL statement.
//
// Groups ([Store.CreateGroup], [Store.AddGroupMembers], ...) are stored by
// the library; names starting with "WAFFLE_" belong to the time-window sync.
//
// # Time windows
//
// A [FlagMember] gives a user a flag for a while (waffle-window): it is
// active when Start <= now < End by Config.Now, End optional. A user may
// hold several windows for one flag. [Store.AddWindow], [Store.ListWindows],
// [Store.UpdateWindow] and [Store.DeleteWindow] manage them.
//
// Windows take effect through a sync: [Store.SyncMembership] makes each
// flag's group "WAFFLE_<flag>", attached to the flag, hold exactly
// the users with an active window, with set-based statements in one
// transaction per flag that write only what changed and, between two syncs
// with nothing else written, read only the windows that started or ended in
// between; [Store.SyncUserMembership] does
// it for one user, looking at all of the user's windows; [Store.SyncLoop]
// repeats the sync on an interval. Every replica may sync at the same time.
// Evaluation then sees the group like any other, in its one statement.
//
// # Custom models
//
// An application gives switches, samples and flags columns of its own with a
// struct that embeds the library's record:
//
//	type OwnedSwitch struct {
//		waffle.Switch
//		Owner string
//	}
//
// It adds the columns after [Store.Migrate] (its own migration, or gorm's
// AutoMigrate, which touches only the application's columns), and reads and
// writes the whole struct with [Load], [List] and [Save]. The library's own
// writes never drop or reset those columns; evaluation ignores them.
//
// # Errors
//
// Bad input returns a typed error before any SQL: a *[NameError] for a name
// that breaks the name rule ([ValidateName]), a *[ValueError] for a value the
// library cannot store, a *[JSONError] for input [Store.SetFromJSON] refuses.
// A missing record is a *[NotFoundError]. Each matches a sentinel with
// errors.Is ([ErrInvalidName], [ErrReservedName], [ErrInvalidValue],
// [ErrInvalidJSON], [ErrNotFound], [ErrNoSuchFlag]); database errors are
// wrapped with what was being done, so errors.Is(err, context.Canceled) holds
// through them.
package waffle
