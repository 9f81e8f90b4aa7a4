package waffle

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RampMode says how a [Ramp] moves between its points.
type RampMode string

const (
	// RampLinear interpolates linearly between consecutive points.
	RampLinear RampMode = "linear"
	// RampSteps holds each point's percent until the next point.
	RampSteps RampMode = "steps"
)

// MaxRampPoints is the most points a [Ramp] may have.
const MaxRampPoints = 100

// RampPoint is one instant of a [Ramp] and the percent it reaches then.
type RampPoint struct {
	At      time.Time `json:"at"`      // stored in UTC
	Percent float64   `json:"percent"` // 0 to 100 inclusive
}

// Ramp is a progressive rollout: a flag's percent that moves on a schedule.
// While a flag has a ramp, the ramp's percent at Config.Now replaces
// Flag.Percent in the evaluation (step 7 of [Store.FlagIsActive]).
//
// Points are in strictly increasing time order. Before the first point the
// first point's percent applies, after the last the last one's. A linear
// ramp has at least two points; a steps ramp at least one. The empty Mode is
// linear. Stored as JSON in the flag's ramp column; see docs/ramps.md.
type Ramp struct {
	Mode   RampMode    `json:"mode"`
	Points []RampPoint `json:"points"`
}

// LinearRamp returns a ramp from percent from at start to percent to at end,
// linear in between: the common two-point ramp.
func LinearRamp(start, end time.Time, from, to float64) *Ramp {
	return &Ramp{Mode: RampLinear, Points: []RampPoint{{At: start, Percent: from}, {At: end, Percent: to}}}
}

// PercentAt returns the ramp's percent at t: the first point's before it,
// the last point's after it, and in between the linear interpolation
// (RampLinear) or the percent of the last point at or before t (RampSteps).
// It is a pure function of the ramp and t. For a valid ramp the result is
// within 0–100, and it never decreases (increases) as t grows when the
// points' percents never do. A nil ramp, or one without points, is 0.
func (r *Ramp) PercentAt(t time.Time) float64 {
	if r == nil || len(r.Points) == 0 {
		return 0
	}
	ps := r.Points
	// i is the number of points at or before t.
	i := 0
	for i < len(ps) && !ps[i].At.After(t) {
		i++
	}
	switch {
	case i == 0:
		return ps[0].Percent
	case i == len(ps) || r.Mode == RampSteps:
		return ps[i-1].Percent
	}
	a, b := ps[i-1], ps[i]
	span := float64(b.At.Sub(a.At))
	if !(span > 0) {
		return a.Percent
	}
	p := a.Percent + (b.Percent-a.Percent)*(float64(t.Sub(a.At))/span)
	// Rounding must not overshoot either end: a ramp that rises never goes
	// above the next point's percent before reaching it (monotone).
	lo, hi := min(a.Percent, b.Percent), max(a.Percent, b.Percent)
	return min(max(p, lo), hi)
}

// EffectivePercent returns the percent step 7 of [Store.FlagIsActive] uses
// at now: the ramp's while the flag has one, else Percent. ok is false when
// the flag has neither (no percent rule).
func (f *Flag) EffectivePercent(now time.Time) (percent float64, ok bool) {
	if f.Ramp != nil {
		return f.Ramp.PercentAt(now), true
	}
	if f.Percent != nil {
		return *f.Percent, true
	}
	return 0, false
}

// checked validates the ramp and returns a copy with its mode spelled out
// and its instants in UTC (the caller's value may be shared), or a
// *ValueError naming the field "ramp".
func (r *Ramp) checked(kind, name string) (*Ramp, error) {
	if reason := r.problem(); reason != "" {
		return nil, &ValueError{Kind: kind, Name: name, Field: "ramp", Reason: reason}
	}
	out := &Ramp{Mode: r.Mode, Points: make([]RampPoint, len(r.Points))}
	if out.Mode == "" {
		out.Mode = RampLinear
	}
	for i, p := range r.Points {
		out.Points[i] = RampPoint{At: p.At.UTC(), Percent: p.Percent + 0} // -0 + 0 == +0
	}
	return out, nil
}

// problem returns what breaks the ramp's rules, or "" for a valid ramp. It
// allocates only to describe a problem.
func (r *Ramp) problem() string {
	linear := r.Mode == "" || r.Mode == RampLinear
	switch {
	case !linear && r.Mode != RampSteps:
		return fmt.Sprintf("unknown mode %s (want %q or %q)", quoteTrunc(string(r.Mode)), RampLinear, RampSteps)
	case linear && len(r.Points) < 2:
		return fmt.Sprintf("a linear ramp needs at least two points, got %d", len(r.Points))
	case len(r.Points) == 0:
		return "a steps ramp needs at least one point"
	case len(r.Points) > MaxRampPoints:
		return fmt.Sprintf("at most %d points, got %d", MaxRampPoints, len(r.Points))
	}
	for i, p := range r.Points {
		if p.At.IsZero() {
			return fmt.Sprintf("point %d has no instant", i+1)
		}
		if !(p.Percent >= 0 && p.Percent <= 100) { // false for NaN too
			return fmt.Sprintf("point %d: percent must be from 0 to 100, got %s", i+1, strconv.FormatFloat(p.Percent, 'g', -1, 64))
		}
		if i > 0 && !p.At.After(r.Points[i-1].At) {
			return fmt.Sprintf("point %d (%s) is not after point %d (%s): instants must strictly increase",
				i+1, p.At.UTC().Format(time.RFC3339Nano), i, r.Points[i-1].At.UTC().Format(time.RFC3339Nano))
		}
	}
	return ""
}

// Value stores the ramp as JSON; a nil ramp is NULL.
func (r *Ramp) Value() (driver.Value, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan reads a stored ramp. NULL leaves the ramp empty.
func (r *Ramp) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case nil:
		*r = Ramp{}
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return errors.New("waffle: ramp: cannot scan a non-text value")
	}
	parsed, err := parseRamp(text)
	if err != nil {
		return err
	}
	*r = *parsed
	return nil
}

// parseRamp decodes and validates a stored ramp. A ramp written by another
// tool that breaks the rules is an error, not a guess.
func parseRamp(text []byte) (*Ramp, error) {
	var r Ramp
	if err := json.Unmarshal(text, &r); err != nil {
		return nil, fmt.Errorf("waffle: stored ramp is not valid JSON: %w", err)
	}
	if reason := r.problem(); reason != "" {
		return nil, errors.New("waffle: stored ramp is invalid: " + reason)
	}
	return r.checked("flag", "")
}

// SetFlagRamp sets the ramp of the flag called name, or clears it with nil,
// leaving its other fields as they are (Modified is set). The ramp is
// validated first: a *ValueError naming the field "ramp", and nothing is
// written. A flag that does not exist is a *NotFoundError. One statement,
// with the audit entry when auditing is on (docs/audit.md). In Django mode
// it is a *ValueError naming the field "ramp": Django's table has no ramp.
func (s *Store) SetFlagRamp(ctx context.Context, name string, r *Ramp) error {
	if err := ValidateName("flag", name); err != nil {
		return err
	}
	if s.cfg.Django != nil {
		return errDjangoRamp(name)
	}
	if r != nil {
		var err error
		if r, err = r.checked("flag", name); err != nil {
			return err
		}
	}
	text, err := r.Value()
	if err != nil {
		return opError("setting the ramp of", "flag", name, err)
	}
	err = s.write(ctx, func(ex execer) error {
		var before sql.NullString
		if s.auditing() {
			err := ex.QueryRowContext(ctx, s.q.SQL("audit_flag_ramp_old"), name).Scan(&before)
			if errors.Is(err, sql.ErrNoRows) {
				return &NotFoundError{Kind: "flag", Name: name}
			}
			if err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, ex, "flag_set_ramp", name, text, s.now())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return &NotFoundError{Kind: "flag", Name: name}
		}
		after := sql.NullString{}
		if t, ok := text.(string); ok {
			after = sql.NullString{String: t, Valid: true}
		}
		if !s.auditing() || before == after {
			return nil
		}
		return s.writeEntry(ctx, ex, entry{action: actionUpdate, kind: "flag", name: name,
			before: map[string]any{"ramp": rampJSON(before)}, after: map[string]any{"ramp": rampJSON(after)}})
	})
	var nf *NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return opError("setting the ramp of", "flag", name, err)
	}
	return err
}

// rampJSON is a stored ramp for an audit entry: its JSON, or null.
func rampJSON(text sql.NullString) any {
	if !text.Valid {
		return nil
	}
	return json.RawMessage(text.String)
}

// applyRamp puts the stored ramp's percent at now in place of the flag's
// Percent, for step 7 of the evaluation: while a flag has a ramp, its
// percent replaces Percent. A flag without a ramp (NULL) costs nothing here;
// a ramp in the form the library writes is read without allocating
// (storedRampPercent), any other form through encoding/json. r.ramp.Valid
// still says the percent came from a ramp.
func (r *flagRow) applyRamp(now func() time.Time) error {
	if !r.ramp.Valid {
		return nil
	}
	p, ok := storedRampPercent(r.ramp.String, now())
	if !ok {
		ramp, err := parseRamp([]byte(r.ramp.String))
		if err != nil {
			return err
		}
		p = ramp.PercentAt(now())
	}
	r.percent = sql.NullFloat64{Float64: p, Valid: true}
	return nil
}

// storedRampPercent reads text in exactly the form [Ramp.Value] writes
// ({"mode":"linear","points":[{"at":"...","percent":12.5},...]}, no spaces)
// and returns the valid ramp's percent at now. ok is false when text is in
// any other form or breaks a rule: the caller then decodes it with
// encoding/json, which accepts every form and names the problem.
func storedRampPercent(text string, now time.Time) (percent float64, ok bool) {
	var buf [8]RampPoint // most ramps: no allocation
	r := Ramp{Points: buf[:0]}
	rest, found := strings.CutPrefix(text, `{"mode":"`)
	if !found {
		return 0, false
	}
	var mode string
	if mode, rest, found = strings.Cut(rest, `"`); !found {
		return 0, false
	}
	r.Mode = RampMode(mode)
	if rest, found = strings.CutPrefix(rest, `,"points":[`); !found {
		return 0, false
	}
	for {
		if rest, found = strings.CutPrefix(rest, `{"at":"`); !found {
			return 0, false
		}
		var at, num string
		if at, rest, found = strings.Cut(rest, `","percent":`); !found {
			return 0, false
		}
		if num, rest, found = strings.Cut(rest, `}`); !found {
			return 0, false
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return 0, false
		}
		p, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, false
		}
		r.Points = append(r.Points, RampPoint{At: t, Percent: p})
		if len(r.Points) > MaxRampPoints {
			return 0, false
		}
		if rest, found = strings.CutPrefix(rest, ","); !found {
			break
		}
	}
	if rest != "]}" || r.problem() != "" {
		return 0, false
	}
	return r.PercentAt(now), true
}
