package waffle

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gowaffle/waffle/internal/dbtx"
	"github.com/gowaffle/waffle/internal/query"
)

// Model is a record the generic calls [Load], [List] and [Save] handle:
// [Switch], [Sample] and [Flag], and any struct of the application that embeds
// one of them to add columns of its own (django-waffle's WAFFLE_SWITCH_MODEL,
// WAFFLE_SAMPLE_MODEL and WAFFLE_FLAG_MODEL):
//
//	type OwnedSwitch struct {
//		waffle.Switch
//		Owner string // column "owner", added by the application's migration
//	}
//
//	sw, err := waffle.Load[OwnedSwitch](ctx, store, "checkout")
//
// The struct lives in the library's table (its TableName is promoted from the
// embedded record). The application adds its columns after [Store.Migrate],
// with its own migration or gorm's AutoMigrate of the struct. The library's
// own writes (SetSwitch, SetSample, the command, syncs) name their columns, so
// they never drop or reset the extra ones, and evaluation ignores them.
type Model interface {
	TableName() string
	// record is promoted from the embedded Switch, Sample or Flag: only those
	// and structs embedding them satisfy Model.
	record() record
}

// record is what the generic calls need from the embedded library type.
type record interface {
	kind() string
	name() string
	validate() error
	// touch sets the modified time, and the created time when it is zero.
	touch(now time.Time)
	// saved runs inside Save's transaction after the row is written, for
	// records with more than one table (a flag's users and groups).
	saved(ctx context.Context, s *Store, tx *gorm.DB) error
	// loaded completes records with more than one table after a read.
	loaded(ctx context.Context, s *Store, tx *gorm.DB) error
	// auditState returns the fields the audit trail records.
	auditState() map[string]any
	// auditLoad returns the stored state of the record with this name, its
	// row locked on PostgreSQL, or found false.
	auditLoad(ctx context.Context, s *Store, tx *gorm.DB) (state map[string]any, found bool, err error)
}

// Load returns the record called name as the application's struct T, with
// every column, the application's included. A name that does not exist is a
// *NotFoundError (errors.Is(err, ErrNotFound)).
func Load[T any, PT interface {
	*T
	Model
}](ctx context.Context, s *Store, name string) (*T, error) {
	var rec T
	r := PT(&rec).record()
	if err := ValidateName(r.kind(), name); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	err := db.Where(map[string]any{"name": name}).Take(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, &NotFoundError{Kind: r.kind(), Name: name}
	}
	if err != nil {
		return nil, opError("loading", r.kind(), name, err)
	}
	if err := r.loaded(ctx, s, db); err != nil {
		return nil, opError("loading", r.kind(), name, err)
	}
	return &rec, nil
}

// List returns every record of T's table, ordered by name.
func List[T any, PT interface {
	*T
	Model
}](ctx context.Context, s *Store) ([]T, error) {
	var recs []T
	kind := PT(new(T)).record().kind()
	db := s.db.WithContext(ctx)
	if err := db.Order(clause.OrderByColumn{Column: clause.Column{Name: "name"}}).Find(&recs).Error; err != nil {
		return nil, opError("listing", kindPlural(kind), "", err)
	}
	for i := range recs {
		if err := PT(&recs[i]).record().loaded(ctx, s, db); err != nil {
			return nil, opError("listing", kindPlural(kind), "", err)
		}
	}
	return recs, nil
}

// Save writes rec, every column of it, the application's included: it
// updates the row with rec's name, or creates it. The name and values are
// validated first (a *NameError or *ValueError, and nothing is written).
// Save sets Modified, and Created for a new row, from the configured clock,
// and fills rec's ID. Its audit entry (the library's fields that changed;
// none when nothing did) is written in the same transaction.
func Save[T any, PT interface {
	*T
	Model
}](ctx context.Context, s *Store, rec *T) error {
	r := PT(rec).record()
	if err := r.validate(); err != nil {
		return err
	}
	if err := s.djangoValidate(r); err != nil {
		return err
	}
	r.touch(s.now())
	err := s.saveTx(ctx, func(ex execer) error {
		tx := s.gormOn(ctx, ex)
		var before map[string]any
		found := false
		if s.auditing() {
			var err error
			if before, found, err = s.auditBefore(ctx, tx, r); err != nil {
				return err
			}
		}
		stmt := &gorm.Statement{DB: tx}
		if err := stmt.Parse(rec); err != nil {
			return err
		}
		omit := s.djangoOmitColumns(r)
		var update []string
		for _, col := range stmt.Schema.DBNames {
			if col != "id" && col != "name" && col != "created" && !slices.Contains(omit, col) {
				update = append(update, col)
			}
		}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "name"}},
			DoUpdates: clause.AssignmentColumns(update),
		}).Omit(append(omit, "id")...).Create(rec).Error
		if err != nil {
			return err
		}
		// Read back the ID and created time: on an update, the row's own.
		if err := tx.Select("id", "created").Where(map[string]any{"name": r.name()}).Take(rec).Error; err != nil {
			return err
		}
		if err := s.djangoStoreTimes(ctx, tx, r); err != nil {
			return err
		}
		if err := r.saved(ctx, s, tx); err != nil {
			return err
		}
		if !s.auditing() {
			return nil
		}
		if !found {
			before = nil
		}
		e, changed := changeEntry(r.kind(), r.name(), before, r.auditState())
		if !changed {
			return nil
		}
		return s.writeEntry(ctx, ex, e)
	})
	if err != nil {
		return opError("saving", r.kind(), r.name(), err)
	}
	return nil
}

// saveTx runs fn in writeTx's transaction or, bound to the application's
// transaction, under a savepoint in it (gorm's nested transaction), so that
// a failed save leaves the application's transaction usable.
func (s *Store) saveTx(ctx context.Context, fn func(ex execer) error) error {
	if !s.inAppTx() {
		return s.writeTx(ctx, fn)
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(tx.Statement.ConnPool)
	})
}

// gormOn returns a *gorm.DB whose statements run on ex, the connection of
// writeTx's transaction (or the application's transaction).
func (s *Store) gormOn(ctx context.Context, ex execer) *gorm.DB {
	if c, ok := ex.(*dbtx.Conn); ok {
		db := s.db.Session(&gorm.Session{NewDB: true, Context: ctx})
		db.Statement.ConnPool = c.InTx()
		return db
	}
	return s.db.WithContext(ctx)
}

// auditBefore returns the stored state of r's row, locked on PostgreSQL.
// When there is none, it first takes a lock on r's kind and name, so that
// two transactions creating it one after the other see each other's row.
func (s *Store) auditBefore(ctx context.Context, tx *gorm.DB, r record) (map[string]any, bool, error) {
	before, found, err := r.auditLoad(ctx, s, tx)
	if err != nil || found {
		return before, found, err
	}
	if s.q.Dialect == query.SQLite {
		return nil, false, nil // the write lock is held since BEGIN IMMEDIATE
	}
	if _, err := s.exec(ctx, tx.Statement.ConnPool, "audit_name_lock", r.kind()+":"+r.name()); err != nil {
		return nil, false, err
	}
	return r.auditLoad(ctx, s, tx)
}

// lockedTake reads the row called name into dest, locked FOR UPDATE on
// PostgreSQL; found is false when there is none.
func (s *Store) lockedTake(tx *gorm.DB, name string, dest any) (bool, error) {
	q := tx.Where(map[string]any{"name": name})
	if s.q.Dialect == query.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Take(dest).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil, err
}

// kindPlural returns the plural used in messages.
func kindPlural(kind string) string {
	if kind == "switch" {
		return "switches"
	}
	return kind + "s"
}
