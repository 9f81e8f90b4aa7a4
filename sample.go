package waffle

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Sample is on for a percentage of reads, drawn anew at every read
// (django-waffle's Sample): sample "log-details" at 5 is on for about one
// read in twenty, with no user, request or cookie involved. Embed it in a
// struct of your own to add columns (see [Model]).
type Sample struct {
	ID       int64     `json:"id" gorm:"-:migration"`       // the row's key, set by the library
	Name     string    `json:"name" gorm:"-:migration"`     // unique; see [ValidateName]
	Percent  float64   `json:"percent" gorm:"-:migration"`  // 0 to 100 inclusive
	Note     string    `json:"note" gorm:"-:migration"`     // free text
	Created  time.Time `json:"created" gorm:"-:migration"`  // set by the library, UTC
	Modified time.Time `json:"modified" gorm:"-:migration"` // set by the library at every write, UTC
}

// TableName is the samples' table, for gorm.
func (Sample) TableName() string { return "waffle_sample" }

func (sm *Sample) record() record { return sm }
func (sm *Sample) kind() string   { return "sample" }
func (sm *Sample) name() string   { return sm.Name }
func (sm *Sample) validate() error {
	if err := ValidateName("sample", sm.Name); err != nil {
		return err
	}
	p, err := checkPercent("sample", sm.Name, sm.Percent)
	sm.Percent = p
	return err
}
func (sm *Sample) touch(now time.Time)                            { touch(&sm.Created, &sm.Modified, now) }
func (sm *Sample) saved(context.Context, *Store, *gorm.DB) error  { return nil }
func (sm *Sample) loaded(context.Context, *Store, *gorm.DB) error { return nil }
func (sm *Sample) auditState() map[string]any {
	return map[string]any{"percent": sm.Percent, "note": sm.Note}
}
func (sm *Sample) auditLoad(ctx context.Context, s *Store, tx *gorm.DB) (map[string]any, bool, error) {
	var old Sample
	found, err := s.lockedTake(tx, sm.Name, &old)
	return old.auditState(), found, err
}

// checkPercent returns p if it is a percentage from 0 to 100 inclusive, or a
// *ValueError for kind's object name. NaN and the infinities are rejected.
// A negative zero comes back as zero.
func checkPercent(kind, name string, p float64) (float64, error) {
	if !(p >= 0 && p <= 100) { // false for NaN too
		return p, &ValueError{Kind: kind, Name: name, Field: "percent",
			Reason: "must be from 0 to 100, got " + strconv.FormatFloat(p, 'g', -1, 64)}
	}
	return p + 0, nil // -0 + 0 == +0
}

// SampleIsActive reports whether the sample called name is on for this read:
// a new draw r in [0, 1) from Config.Rand at every call, on when r*100 <
// percent, so 0 is never on and 100 always. A sample that does not exist is
// logged (Config.LogMissingSamples), created with percent 100 or 0
// (Config.CreateMissingSamples, by Config.SampleDefault) and read as
// Config.SampleDefault. One statement per call; an invalid name sends none.
func (s *Store) SampleIsActive(ctx context.Context, name string) (bool, error) {
	if err := ValidateName("sample", name); err != nil {
		return false, err
	}
	if d := s.snapshotData(); d != nil {
		if p, ok := d.samples[name]; ok {
			return s.sampleDraw(p), nil
		}
	}
	if b, err := s.requestBatch(ctx, kindSample, name); err != nil {
		return false, err
	} else if b != nil {
		return b.sampleAnswer(s, name), nil
	}
	var percent float64
	err := s.queryRow(ctx, "sample_percent", name).Scan(&percent)
	if err == nil {
		return s.sampleDraw(percent), nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return s.missingSample(ctx, name)
	}
	return false, opError("reading", "sample", name, err)
}

func (s *Store) missingSample(ctx context.Context, name string) (bool, error) {
	s.logMissing(ctx, s.cfg.LogMissingSamples, "sample", name)
	if s.cfg.CreateMissingSamples {
		percent := 0.0
		if s.cfg.SampleDefault {
			percent = 100
		}
		if _, err := s.exec(ctx, s.writePool(), "sample_create_missing", name, percent, s.timeArg(s.now())); err != nil {
			return s.cfg.SampleDefault, opError("creating missing", "sample", name, err)
		}
	}
	return s.cfg.SampleDefault, nil
}

// SetSample sets the percentage of reads for which the sample called name is
// on, creating the sample when it does not exist, with its audit entry when
// the value changes (one statement on PostgreSQL). percent
// must be from 0 to 100 inclusive (a *ValueError otherwise, and nothing is
// written). Its note, and any column the application added, are left as they
// are.
func (s *Store) SetSample(ctx context.Context, name string, percent float64) error {
	if err := ValidateName("sample", name); err != nil {
		return err
	}
	percent, err := checkPercent("sample", name, percent)
	if err != nil {
		return err
	}
	if err := s.djangoValidate(&Sample{Name: name, Percent: percent}); err != nil {
		return err
	}
	if err := s.setAudited(ctx, "sample_set", "sample_set_audited", name, percent); err != nil {
		return opError("setting", "sample", name, err)
	}
	return nil
}

// GetSample returns the sample called name, or a *NotFoundError.
func (s *Store) GetSample(ctx context.Context, name string) (*Sample, error) {
	return Load[Sample](ctx, s, name)
}

// ListSamples returns every sample, ordered by name.
func (s *Store) ListSamples(ctx context.Context) ([]Sample, error) {
	return List[Sample](ctx, s)
}

// DeleteSample deletes the sample called name, or returns a *NotFoundError.
func (s *Store) DeleteSample(ctx context.Context, name string) error {
	return s.deleteAudited(ctx, "sample", "sample_delete", "audit_sample_delete", name)
}

// sampleDraw draws a sample of percent: r*100 < percent, or in Django mode
// django-waffle's uniform(0, 100) <= percent.
func (s *Store) sampleDraw(percent float64) bool {
	if s.cfg.Django != nil {
		return s.cfg.Rand()*100 <= percent
	}
	return s.cfg.Rand()*100 < percent
}
