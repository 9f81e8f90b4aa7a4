package waffle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FlagDetail is a flag's answer with its reason, from [Store.FlagDetail].
type FlagDetail struct {
	Active  bool    // the answer FlagIsActive gives
	Reason  Reason  // the rule that decided
	Group   string  // with ReasonGroup: a listed group the user is in (docs/flags.md says which when several)
	Percent float64 // with a percent reason: the flag's percent that was used
	Missing bool    // the flag does not exist (Reason says which setting answered)
}

// FlagDetailMeta is a [FlagDetail] with the flag's metadata, from
// [Store.FlagDetailMeta].
type FlagDetailMeta struct {
	FlagDetail
	Note     string    // the flag's note ("" when missing)
	Modified time.Time // the flag's last change (zero when missing)
}

// SwitchDetail is a switch's answer with its reason, from
// [Store.SwitchDetail].
type SwitchDetail struct {
	Active   bool
	Reason   Reason // ReasonFound, ReasonMissingDefault or ReasonMissingCreated
	Missing  bool
	Note     string
	Modified time.Time
}

// SampleDetail is a sample's draw with its reason, from
// [Store.SampleDetail].
type SampleDetail struct {
	Active   bool
	Reason   Reason  // ReasonFound, ReasonMissingDefault or ReasonMissingCreated
	Percent  float64 // the sample's percent, or the default's 0 or 100 when missing
	Missing  bool
	Note     string
	Modified time.Time
}

// StringFlagDetail is a string flag's value with its reason, from
// [Store.StringFlagDetail].
type StringFlagDetail struct {
	Value    Value
	Reason   Reason // ReasonFound, or ReasonMissingDefault for a missing or NULL value
	Modified time.Time
}

// SwitchDetail reads the switch called name as [Store.SwitchIsActive] does,
// in one statement, and says whether it was found, with its note and
// modified time.
func (s *Store) SwitchDetail(ctx context.Context, name string) (SwitchDetail, error) {
	if err := ValidateName("switch", name); err != nil {
		return SwitchDetail{Reason: ReasonError}, err
	}
	var d SwitchDetail
	var mod scanTime
	err := s.queryRow(ctx, "switch_detail", name).Scan(&d.Active, &d.Note, &mod)
	switch {
	case err == nil:
		d.Reason, d.Modified = ReasonFound, mod.t
		return d, nil
	case errors.Is(err, sql.ErrNoRows):
		active, err := s.missingSwitch(ctx, name)
		return SwitchDetail{Active: active, Missing: true, Reason: missingReason(err, s.cfg.CreateMissingSwitches)}, err
	}
	return SwitchDetail{Reason: ReasonError}, opError("reading", "switch", name, err)
}

// SampleDetail draws the sample called name as [Store.SampleIsActive] does,
// in one statement, and says whether it was found, with its percent, note
// and modified time.
func (s *Store) SampleDetail(ctx context.Context, name string) (SampleDetail, error) {
	if err := ValidateName("sample", name); err != nil {
		return SampleDetail{Reason: ReasonError}, err
	}
	var d SampleDetail
	var mod scanTime
	err := s.queryRow(ctx, "sample_detail", name).Scan(&d.Percent, &d.Note, &mod)
	switch {
	case err == nil:
		d.Active = s.sampleDraw(d.Percent)
		d.Reason, d.Modified = ReasonFound, mod.t
		return d, nil
	case errors.Is(err, sql.ErrNoRows):
		active, err := s.missingSample(ctx, name)
		d := SampleDetail{Active: active, Missing: true, Reason: missingReason(err, s.cfg.CreateMissingSamples)}
		if s.cfg.SampleDefault {
			d.Percent = 100
		}
		return d, err
	}
	return SampleDetail{Reason: ReasonError}, opError("reading", "sample", name, err)
}

// StringFlagDetail reads the string flag called name as [Store.Get] does,
// in one statement, with its modified time.
func (s *Store) StringFlagDetail(ctx context.Context, name string) (StringFlagDetail, error) {
	v := Value{mode: s.cfg.MissingFlagHandling, name: name}
	if err := ValidateName("string flag", name); err != nil {
		return StringFlagDetail{Value: v, Reason: ReasonError}, err
	}
	var ns sql.NullString
	var mod scanTime
	err := s.queryRow(ctx, "string_flag_detail", name).Scan(&ns, &mod)
	d := StringFlagDetail{Value: v, Reason: ReasonMissingDefault, Modified: mod.t}
	switch {
	case err == nil && ns.Valid:
		d.Value.found, d.Value.str, d.Reason = true, ns.String, ReasonFound
		return d, nil
	case err == nil:
		d.Value.null = true
	case !errors.Is(err, sql.ErrNoRows):
		d.Reason = ReasonError
		return d, opError("reading", "string flag", name, err)
	}
	if v.mode == Exception {
		return d, &NotFoundError{Kind: "string flag", Name: name}
	}
	return d, nil
}

// missingReason is the reason of a missing switch or sample.
func missingReason(err error, created bool) Reason {
	switch {
	case err != nil:
		return ReasonError
	case created:
		return ReasonMissingCreated
	}
	return ReasonMissingDefault
}

// scanTime scans a time that may be NULL, or text: SQLite returns a
// DATETIME column's value as text when an expression hides its type.
type scanTime struct{ t time.Time }

// sqliteTimeLayouts are the forms SQLite's drivers write times in.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	time.RFC3339Nano, // PostgreSQL's detail, written with to_char in UTC
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

func (n *scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		n.t = time.Time{}
		return nil
	case time.Time:
		n.t = v.UTC()
		return nil
	case []byte:
		return n.parse(string(v))
	case string:
		return n.parse(v)
	}
	return fmt.Errorf("waffle: cannot scan %T as a time", src)
}

func (n *scanTime) parse(s string) error {
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			n.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("waffle: cannot parse %q as a time", s)
}
