package waffle

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Switch is a global on/off toggle (django-waffle's Switch): on or off for
// everyone, no request needed. Embed it in a struct of your own to add
// columns (see [Model]).
type Switch struct {
	ID       int64     `json:"id" gorm:"-:migration"`       // the row's key, set by the library
	Name     string    `json:"name" gorm:"-:migration"`     // unique; see [ValidateName]
	Active   bool      `json:"active" gorm:"-:migration"`   // on for everyone, or off
	Note     string    `json:"note" gorm:"-:migration"`     // free text
	Created  time.Time `json:"created" gorm:"-:migration"`  // set by the library, UTC
	Modified time.Time `json:"modified" gorm:"-:migration"` // set by the library at every write, UTC
}

// TableName is the switches' table, for gorm.
func (Switch) TableName() string { return "waffle_switch" }

func (sw *Switch) record() record { return sw }
func (sw *Switch) kind() string   { return "switch" }
func (sw *Switch) name() string   { return sw.Name }
func (sw *Switch) validate() error {
	return ValidateName("switch", sw.Name)
}
func (sw *Switch) touch(now time.Time)                            { touch(&sw.Created, &sw.Modified, now) }
func (sw *Switch) saved(context.Context, *Store, *gorm.DB) error  { return nil }
func (sw *Switch) loaded(context.Context, *Store, *gorm.DB) error { return nil }
func (sw *Switch) auditState() map[string]any {
	return map[string]any{"active": sw.Active, "note": sw.Note}
}
func (sw *Switch) auditLoad(ctx context.Context, s *Store, tx *gorm.DB) (map[string]any, bool, error) {
	var old Switch
	found, err := s.lockedTake(tx, sw.Name, &old)
	return old.auditState(), found, err
}

// touch sets modified to now, and created too when it is zero.
func touch(created, modified *time.Time, now time.Time) {
	if created.IsZero() {
		*created = now
	}
	*modified = now
}

// SwitchIsActive reports whether the switch called name is on. A switch that
// does not exist is logged (Config.LogMissingSwitches), created
// (Config.CreateMissingSwitches) and read as Config.SwitchDefault. One
// statement per call; an invalid name sends none.
func (s *Store) SwitchIsActive(ctx context.Context, name string) (bool, error) {
	if err := ValidateName("switch", name); err != nil {
		return false, err
	}
	if d := s.snapshotData(); d != nil {
		if on, ok := d.switches[name]; ok {
			return on, nil
		}
	}
	if b, err := s.requestBatch(ctx, kindSwitch, name); err != nil {
		return false, err
	} else if b != nil {
		return b.switchAnswer(s, name), nil
	}
	var active bool
	err := s.queryRow(ctx, "switch_active", name).Scan(&active)
	if err == nil {
		return active, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return s.missingSwitch(ctx, name)
	}
	return false, opError("reading", "switch", name, err)
}

func (s *Store) missingSwitch(ctx context.Context, name string) (bool, error) {
	s.logMissing(ctx, s.cfg.LogMissingSwitches, "switch", name)
	if s.cfg.CreateMissingSwitches {
		now := s.timeArg(s.now())
		if _, err := s.exec(ctx, s.writePool(), "switch_create_missing", name, s.cfg.SwitchDefault, now); err != nil {
			return s.cfg.SwitchDefault, opError("creating missing", "switch", name, err)
		}
	}
	return s.cfg.SwitchDefault, nil
}

// SetSwitch turns the switch called name on or off, creating it when it does
// not exist, with its audit entry when the value changes (one statement on
// PostgreSQL, one transaction on SQLite). Its note, and any column the
// application added, are left as they are.
func (s *Store) SetSwitch(ctx context.Context, name string, active bool) error {
	if err := ValidateName("switch", name); err != nil {
		return err
	}
	if err := s.djangoValidate(&Switch{Name: name}); err != nil {
		return err
	}
	if err := s.setAudited(ctx, "switch_set", "switch_set_audited", name, active); err != nil {
		return opError("setting", "switch", name, err)
	}
	return nil
}

// GetSwitch returns the switch called name, or a *NotFoundError.
func (s *Store) GetSwitch(ctx context.Context, name string) (*Switch, error) {
	return Load[Switch](ctx, s, name)
}

// ListSwitches returns every switch, ordered by name.
func (s *Store) ListSwitches(ctx context.Context) ([]Switch, error) {
	return List[Switch](ctx, s)
}

// DeleteSwitch deletes the switch called name, or returns a *NotFoundError.
func (s *Store) DeleteSwitch(ctx context.Context, name string) error {
	return s.deleteAudited(ctx, "switch", "switch_delete", "audit_switch_delete", name)
}
