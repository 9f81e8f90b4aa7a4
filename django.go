package waffle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/migrations"
)

// DjangoConfig turns on Django mode: the Store shares a database with a Django
// deployment and reads and writes django-waffle's own tables (waffle_flag,
// waffle_flag_users, waffle_flag_groups, waffle_switch, waffle_sample),
// Django's auth_group and auth_user_groups, and waffle-window's
// waffle_window_flagmember. Django's tables are found where Django finds
// them: on PostgreSQL through the connection's search_path (open the
// *gorm.DB with the same search_path as Django's OPTIONS), on SQLite in the
// database file. docs/django.md gives the rules that change.
type DjangoConfig struct {
	// TimeZone is Django's TIME_ZONE: a waffle_window_flagmember window is
	// live on the dates from start_date to end_date inclusive, in this zone's
	// calendar, as waffle-window's date.today() is.
	//
	// Defaults to UTC (Django's default TIME_ZONE is America/Chicago; set it
	// to match settings.py).
	TimeZone *time.Location
}

// Django's limits, from django-waffle's models.
const (
	djangoMaxName        = 100  // CharField(max_length=100)
	djangoMaxGroupName   = 150  // auth_group.name
	djangoMaxFlagPercent = 99.9 // numeric(3,1)
)

// djangoTables are the tables Django mode needs, with the app whose
// migrations create them.
var djangoTables = []struct{ table, app string }{
	{"auth_group", "auth"},
	{"auth_user", "auth"},
	{"auth_user_groups", "auth"},
	{"waffle_flag", "waffle"},
	{"waffle_flag_users", "waffle"},
	{"waffle_flag_groups", "waffle"},
	{"waffle_switch", "waffle"},
	{"waffle_sample", "waffle"},
	{"waffle_window_flagmember", "waffle_window"},
}

// ErrDjangoSchema matches the errors of [Store.Migrate] about Django's
// tables: missing in Django mode, or present in the default mode.
var ErrDjangoSchema = errors.New("waffle: Django schema")

// DjangoSchemaError is what [Store.Migrate] returns when the database does
// not fit the mode: in Django mode a table Django's migrations create is
// missing; in the default mode the database holds django-waffle's tables.
type DjangoSchemaError struct {
	Table   string // the missing table, or the Django table found
	Missing bool   // true in Django mode: Table is missing
}

func (e *DjangoSchemaError) Error() string {
	if e.Missing {
		return "waffle: Django mode: table " + e.Table + " is missing: run `python manage.py migrate` in the Django project first" +
			" (waffle_window_flagmember comes from waffle-window's app, waffle_window)"
	}
	return "waffle: the database holds django-waffle's tables (found " + e.Table + "): set Config.Django to share them with Django" +
		" (docs/django.md); Migrate would otherwise mix the library's tables with Django's"
}

func (e *DjangoSchemaError) Unwrap() error { return ErrDjangoSchema }

// checkSchemaOwner runs at the start of MigrateUp, on the primary: in Django
// mode every table of Django's is there; in the default mode, none of
// django-waffle's.
func (s *Store) checkSchemaOwner(ctx context.Context) error {
	exists := func(table string) (bool, error) {
		var ok bool
		err := s.writePool().QueryRowContext(ctx, s.djangoStmt("django_table_exists"), table).Scan(&ok)
		return ok, err
	}
	if s.cfg.Django != nil {
		for _, t := range djangoTables {
			ok, err := exists(t.table)
			if err != nil {
				return fmt.Errorf("waffle: migrating: checking Django's tables: %w", err)
			}
			if !ok {
				return &DjangoSchemaError{Table: t.table, Missing: true}
			}
		}
		return nil
	}
	// waffle_flag_users (plural) and auth_user_groups exist only in a
	// database Django migrated; the library's own tables are singular.
	for _, t := range []string{"waffle_flag_users", "waffle_flag_groups"} {
		ok, err := exists(t)
		if err != nil {
			return fmt.Errorf("waffle: migrating: checking for Django's tables: %w", err)
		}
		if ok {
			return &DjangoSchemaError{Table: t}
		}
	}
	return nil
}

// djangoStmt returns a Django-mode statement whichever mode s is in (the
// default mode checks for Django's tables with it).
func (s *Store) djangoStmt(name string) string {
	return djangoQueries(s.q.Dialect).SQL(name)
}

// DjangoMigrations returns Django mode's migrations of dialect: the library's
// own tables only (string flags, the library's time windows).
func DjangoMigrations(dialect string) ([]Migration, error) {
	if djangoQueries(dialect) == nil {
		return nil, fmt.Errorf("%w %q: waffle supports postgres and sqlite", ErrUnsupportedDatabase, dialect)
	}
	return readMigrations(migrations.DjangoFS, path.Join("django", dialect), "django_")
}

// migrations returns the migrations of the Store's mode.
func (s *Store) migrations() ([]Migration, error) {
	if s.cfg.Django != nil {
		return DjangoMigrations(s.Dialect())
	}
	return Migrations(s.Dialect())
}

// djangoUserID returns the auth_user primary key in id, or nil when id is
// not one (such a user cannot be listed on a Django flag or be in a group).
func djangoUserID(id string) any {
	if id == "" || len(id) > 18 {
		return nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return nil
	}
	return n
}

// djangoFlagRow runs Django mode's evaluation statement: the statement
// called full, user or anonymous (FlagIsActive's or FlagDetail's).
func (s *Store) djangoFlagRow(ctx context.Context, name string, u *User, full, user, anonymous string) *sql.Row {
	var uid any
	var groups []string
	if u != nil {
		uid = djangoUserID(u.ID)
		groups = u.Groups
	}
	switch {
	case len(groups) > 0:
		return s.queryRow(ctx, full, name, uid, jsonStringArray(groups, true))
	case uid != nil:
		return s.queryRow(ctx, user, name, uid)
	default:
		return s.queryRow(ctx, anonymous, name)
	}
}

// djangoValidate applies Django's limits to a record about to be saved:
// names up to 100 characters, a flag's percent up to 99.9 and a sample's up
// to 100 with one decimal, user IDs that are auth_user keys, group names up
// to 150 characters.
func (s *Store) djangoValidate(r record) error {
	if s.cfg.Django == nil {
		return nil
	}
	r = djangoRecord(r)
	kind, name := r.kind(), r.name()
	if err := djangoCheckName(kind, name); err != nil {
		return err
	}
	switch rec := r.(type) {
	case *Flag:
		if rec.Ramp != nil {
			return errDjangoRamp(name)
		}
		if rec.Percent != nil {
			if err := djangoCheckPercent(kind, name, *rec.Percent, djangoMaxFlagPercent); err != nil {
				return err
			}
		}
		if err := s.djangoCheckUsers(kind, name, rec.Users); err != nil {
			return err
		}
		return s.djangoCheckGroups(kind, name, rec.Groups)
	case *Sample:
		return djangoCheckPercent(kind, name, rec.Percent, 100)
	}
	return nil
}

// djangoValidateSeed applies djangoValidate to every flag, switch and sample
// of an Ensure seed.
func (s *Store) djangoValidateSeed(seed Seed) error {
	if s.cfg.Django == nil {
		return nil
	}
	for i := range seed.Flags {
		if err := s.djangoValidate(&seed.Flags[i]); err != nil {
			return err
		}
	}
	for i := range seed.Switches {
		if err := s.djangoValidate(&seed.Switches[i]); err != nil {
			return err
		}
	}
	for i := range seed.Samples {
		if err := s.djangoValidate(&seed.Samples[i]); err != nil {
			return err
		}
	}
	return nil
}

// errDjangoRamp is the *ValueError of a ramp in Django mode: django-waffle's
// waffle_flag has no column to keep it in.
func errDjangoRamp(name string) error {
	return &ValueError{Kind: "flag", Name: name, Field: "ramp",
		Reason: "Django's waffle_flag has no ramp column: ramps are not available in Django mode (docs/django.md)"}
}

// djangoOmitColumns returns the columns of r's model that Django's table
// lacks, for Save to leave out: in Django mode a flag's ramp.
func (s *Store) djangoOmitColumns(r record) []string {
	if _, ok := djangoRecord(r).(*Flag); ok && s.cfg.Django != nil {
		return []string{"ramp"}
	}
	return nil
}

// djangoCheckUsers requires, in Django mode, user IDs that are auth_user
// primary keys.
func (s *Store) djangoCheckUsers(kind, name string, ids []string) error {
	if s.cfg.Django == nil {
		return nil
	}
	for _, id := range ids {
		if djangoUserID(id) == nil {
			return &ValueError{Kind: kind, Name: name, Field: "users", Reason: quoteTrunc(id) + " is not an auth_user primary key (Django mode)"}
		}
	}
	return nil
}

// djangoCheckGroups requires, in Django mode, group names that fit
// auth_group.name.
func (s *Store) djangoCheckGroups(kind, name string, groups []string) error {
	if s.cfg.Django == nil {
		return nil
	}
	for _, g := range groups {
		if utf8.RuneCountInString(g) > djangoMaxGroupName {
			return &ValueError{Kind: kind, Name: name, Field: "groups", Reason: "group " + quoteTrunc(g) + " is longer than auth_group's 150 characters"}
		}
	}
	return nil
}

// djangoCheckName rejects names longer than Django's CharField(100).
func djangoCheckName(kind, name string) error {
	if utf8.RuneCountInString(name) > djangoMaxName {
		return &ValueError{Kind: kind, Name: name, Field: "name", Reason: "must be at most 100 characters in Django mode"}
	}
	return nil
}

// djangoCheckPercent checks a percent for Django's decimal columns: from 0 to
// max, with at most one decimal.
func djangoCheckPercent(kind, name string, p, max float64) error {
	tenths := p * 10
	if !(p >= 0 && p <= max) || math.Abs(tenths-math.Round(tenths)) > 1e-9 {
		return &ValueError{Kind: kind, Name: name, Field: "percent",
			Reason: "must be from 0 to " + strconv.FormatFloat(max, 'f', 1, 64) + " with at most one decimal in Django mode, got " + strconv.FormatFloat(p, 'g', -1, 64)}
	}
	return nil
}

// djangoQueries returns Django mode's statements for dialect.
func djangoQueries(dialect string) *query.Set { return query.ForDjango(dialect) }

// timeArg returns t as a write statement takes it: on SQLite in Django mode,
// the text Django's SQLite backend writes (str() of the naive UTC datetime:
// "2026-12-04 17:30:15.123456", without a fraction when it is zero), so that
// Django's own text comparisons of the column hold; otherwise t.
func (s *Store) timeArg(t time.Time) any {
	if s.cfg.Django == nil || s.q.Dialect != "sqlite" {
		return t
	}
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// djangoStoreTimes rewrites, on SQLite in Django mode, the created and
// modified columns Save just wrote through gorm (which writes a UTC offset)
// in Django's text form. Inside Save's transaction.
func (s *Store) djangoStoreTimes(ctx context.Context, tx *gorm.DB, r record) error {
	if s.cfg.Django == nil || s.q.Dialect != "sqlite" {
		return nil
	}
	r = djangoRecord(r)
	var created, modified time.Time
	switch rec := r.(type) {
	case *Flag:
		created, modified = rec.Created, rec.Modified
	case *Switch:
		created, modified = rec.Created, rec.Modified
	case *Sample:
		created, modified = rec.Created, rec.Modified
	default:
		return nil
	}
	_, err := s.exec(ctx, tx.Statement.ConnPool, "django_"+r.kind()+"_times", r.name(), s.timeArg(created), s.timeArg(modified))
	return err
}
