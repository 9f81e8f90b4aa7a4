package waffle

import (
	"context"
	"encoding/json"
)

// Seed is what [Store.Ensure] makes sure exists: the flags, switches,
// samples and string flags an application needs, with the state each gets
// when it is created.
type Seed struct {
	Flags    []Flag   // created with their rules, users and groups
	Switches []Switch // created with Active and Note
	Samples  []Sample // created with Percent and Note
	// StringFlags maps names to values, stored as [Store.Set] stores them.
	StringFlags map[string]any
}

// Ensured names what [Store.Ensure] created; what already existed is not
// listed.
type Ensured struct {
	Flags       []string
	Switches    []string
	Samples     []string
	StringFlags []string
}

// Ensure creates, in one transaction, every object of seed that does not
// exist yet (each with its audit entry, as the other writes), and leaves every one that exists exactly as it is: an
// operator's change always wins over the seed. It is meant for start-up and
// is idempotent: a second call creates nothing. Each kind is one set-based
// insert that skips existing names; a created flag's users and groups are
// added after it. Everything is validated first: a bad name, percent or
// value, or a name given twice for one kind, is an error and nothing is
// written. No statement reads a row that may be missing, so GORM's logger
// never prints "record not found".
func (s *Store) Ensure(ctx context.Context, seed Seed) (Ensured, error) {
	plan, err := planSeed(seed)
	if err != nil {
		return Ensured{}, err
	}
	if err := s.djangoValidateSeed(seed); err != nil {
		return Ensured{}, err
	}
	for i := range seed.Flags {
		if err := s.djangoCheckUsersExist(ctx, "flag", seed.Flags[i].Name, seed.Flags[i].Users); err != nil {
			return Ensured{}, err
		}
	}
	var done Ensured
	err = s.writeTx(ctx, func(ex execer) error {
		done = Ensured{}
		now := s.now()
		ids, err := s.ensureRows(ctx, ex, "flag_ensure", plan.flags, s.timeArg(now), &done.Flags)
		if err != nil {
			return err
		}
		for i := range seed.Flags {
			f := &seed.Flags[i]
			id, ok := ids[f.Name]
			if !ok {
				continue
			}
			if len(f.Users)+len(f.Groups) > 0 {
				if err := s.ensureFlagLists(ctx, ex, id, f); err != nil {
					return err
				}
			}
			if err := s.writeEntry(ctx, ex, entry{action: actionCreate, kind: "flag", name: f.Name, after: plan.states["flag"][f.Name]}); err != nil {
				return err
			}
		}
		for _, k := range []struct {
			stmt, kind string
			rows       []byte
			at         any // Django's tables take Django's time text (timeArg)
			created    *[]string
		}{
			{"switch_ensure", "switch", plan.switches, s.timeArg(now), &done.Switches},
			{"sample_ensure", "sample", plan.samples, s.timeArg(now), &done.Samples},
			{"string_flag_ensure", "string_flag", plan.strings, now, &done.StringFlags},
		} {
			if _, err := s.ensureRows(ctx, ex, k.stmt, k.rows, k.at, k.created); err != nil {
				return err
			}
			for _, name := range *k.created {
				if err := s.writeEntry(ctx, ex, entry{action: actionCreate, kind: k.kind, name: name, after: plan.states[k.kind][name]}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Ensured{}, opError("ensuring", "seed", "", err)
	}
	return done, nil
}

// ensureFlagLists adds a created flag's users and groups.
func (s *Store) ensureFlagLists(ctx context.Context, ex execer, id int64, f *Flag) error {
	if len(f.Users) > 0 {
		if _, err := s.exec(ctx, ex, "flag_users_add", id, jsonStringArray(f.Users, false)); err != nil {
			return err
		}
	}
	own := make([]string, 0, len(f.Groups))
	for _, g := range f.Groups {
		if !isSyncGroup(g) {
			own = append(own, g)
		}
	}
	if len(own) == 0 {
		return nil
	}
	groups := jsonStringArray(own, false)
	if s.auditing() {
		if _, err := s.exec(ctx, ex, "audit_group_create_many", groups, s.auditTime(s.now()), actorFrom(ctx)); err != nil {
			return err
		}
	}
	if _, err := s.exec(ctx, ex, "group_create_many", groups, s.now()); err != nil {
		return err
	}
	_, err := s.exec(ctx, ex, "flag_groups_add", id, groups)
	return err
}

// ensureRows runs one ensure statement on rows (a JSON array; none: no
// statement) and returns the created names with their IDs.
func (s *Store) ensureRows(ctx context.Context, ex execer, stmt string, rows []byte, now any, created *[]string) (map[string]int64, error) {
	if rows == nil {
		return nil, nil
	}
	rs, err := s.query(ctx, ex, stmt, string(rows), now)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	ids := map[string]int64{}
	for rs.Next() {
		var id int64
		var name string
		if err := rs.Scan(&id, &name); err != nil {
			return nil, err
		}
		ids[name] = id
		*created = append(*created, name)
	}
	return ids, rs.Err()
}

// seedPlan is a validated seed as the ensure statements' JSON arrays (nil
// for a kind with nothing to ensure).
type seedPlan struct {
	flags, switches, samples, strings []byte
	states                            map[string]map[string]map[string]any // kind, name: the audit entry's state
}

type seedFlag struct {
	Name          string   `json:"name"`
	Everyone      *bool    `json:"everyone"`
	Percent       *float64 `json:"percent"`
	Testing       bool     `json:"testing"`
	Superusers    bool     `json:"superusers"`
	Staff         bool     `json:"staff"`
	Authenticated bool     `json:"authenticated"`
	Languages     string   `json:"languages"`
	Rollout       bool     `json:"rollout"`
	Ramp          any      `json:"ramp"` // the ramp's JSON text, or nil
	Note          string   `json:"note"`
}

type seedSwitch struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
	Note   string `json:"note"`
}

type seedSample struct {
	Name    string  `json:"name"`
	Percent float64 `json:"percent"`
	Note    string  `json:"note"`
}

type seedString struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// planSeed validates seed and encodes its rows.
func planSeed(seed Seed) (seedPlan, error) {
	p := seedPlan{states: map[string]map[string]map[string]any{
		"flag": {}, "switch": {}, "sample": {}, "string_flag": {},
	}}
	var err error
	flags := make([]seedFlag, 0, len(seed.Flags))
	seen := map[string]bool{}
	for i := range seed.Flags {
		f := seed.Flags[i] // a copy: validate may replace Percent
		if err := f.validate(); err != nil {
			return p, err
		}
		if err := twice(seen, "flag", f.Name); err != nil {
			return p, err
		}
		langs, _ := f.Languages.Value()
		ramp, err := f.Ramp.Value()
		if err != nil {
			return p, err
		}
		p.states["flag"][f.Name] = flagState(&f)
		flags = append(flags, seedFlag{f.Name, f.Everyone, f.Percent, f.Testing, f.Superusers, f.Staff,
			f.Authenticated, langs.(string), f.Rollout, ramp, f.Note})
	}
	switches := make([]seedSwitch, 0, len(seed.Switches))
	clear(seen)
	for _, sw := range seed.Switches {
		if err := sw.validate(); err != nil {
			return p, err
		}
		if err := twice(seen, "switch", sw.Name); err != nil {
			return p, err
		}
		p.states["switch"][sw.Name] = sw.auditState()
		switches = append(switches, seedSwitch{sw.Name, sw.Active, sw.Note})
	}
	samples := make([]seedSample, 0, len(seed.Samples))
	clear(seen)
	for _, sm := range seed.Samples {
		if err := ValidateName("sample", sm.Name); err != nil {
			return p, err
		}
		pc, err := checkPercent("sample", sm.Name, sm.Percent)
		if err != nil {
			return p, err
		}
		if err := twice(seen, "sample", sm.Name); err != nil {
			return p, err
		}
		p.states["sample"][sm.Name] = map[string]any{"percent": pc, "note": sm.Note}
		samples = append(samples, seedSample{sm.Name, pc, sm.Note})
	}
	strs := make([]seedString, 0, len(seed.StringFlags))
	for name, v := range seed.StringFlags {
		if err := ValidateName("string flag", name); err != nil {
			return p, err
		}
		text, ok, err := stringFlagText(name, v)
		if err != nil {
			return p, err
		}
		row := seedString{Name: name}
		p.states["string_flag"][name] = map[string]any{"value": nil}
		if ok {
			row.Value = &text
			p.states["string_flag"][name]["value"] = text
		}
		strs = append(strs, row)
	}
	if p.flags, err = seedJSON(flags); err != nil {
		return p, err
	}
	if p.switches, err = seedJSON(switches); err != nil {
		return p, err
	}
	if p.samples, err = seedJSON(samples); err != nil {
		return p, err
	}
	p.strings, err = seedJSON(strs)
	return p, err
}

// twice reports a name given twice for one kind.
func twice(seen map[string]bool, kind, name string) error {
	if seen[name] {
		return &ValueError{Kind: kind, Name: name, Field: "name", Reason: "given twice in the seed"}
	}
	seen[name] = true
	return nil
}

// seedJSON encodes rows, or returns nil when there are none.
func seedJSON[T any](rows []T) ([]byte, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	return json.Marshal(rows)
}
