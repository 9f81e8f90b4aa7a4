package waffle

import (
	"context"
	"database/sql"
	"errors"
	"unicode"
	"unicode/utf8"
)

// FlagIsActive reports whether the flag called name is on for the request
// in ctx: the user of [WithUser], the language of [WithLanguage], and the
// query, headers, cookies and per-request memo that [Store.Middleware] adds.
// Every part is optional.
//
// The first decisive rule wins: a missing flag is Config.FlagDefault (logged
// and created as the Config says); then Config.Override's query parameter;
// Everyone; with Testing, the testing parameter, header or cookie; Languages;
// Authenticated, Staff, Superusers, Users and Groups; Percent, or while the
// flag has a Ramp the ramp's percent at Config.Now (an identified
// user's deterministic bucket, or an anonymous visitor's cookie or draw);
// else off. docs/flags.md gives the order in full.
//
// One SQL statement per call (two when a missing flag is created); an
// invalid name sends none and returns a *NameError.
func (s *Store) FlagIsActive(ctx context.Context, name string) (bool, error) {
	if err := ValidateName("flag", name); err != nil {
		return false, err
	}
	if d := s.snapshotData(); d != nil {
		if on, ok, err := s.snapshotFlag(ctx, d, name); ok {
			return on, err
		}
	}
	if b, err := s.requestBatch(ctx, kindFlag, name); b != nil || err != nil {
		if err != nil {
			return false, err
		}
		return s.batchFlag(ctx, b, name)
	}
	u := userFrom(ctx)
	var userID string
	var groups []string
	if u != nil {
		// An ID or group name the library could never have stored cannot
		// match a stored one: leave it out rather than send it (PostgreSQL
		// refuses invalid UTF-8 and NUL in text).
		if storableUserID(u.ID) {
			userID = u.ID
		}
		groups = u.Groups
	}
	// The narrowest of three statements (query/*/flag_eval.sql says why).
	var row *sql.Row
	switch {
	case len(groups) > 0:
		row = s.queryRow(ctx, "flag_eval", name, userID, s.listArg(groups, true))
	case userID != "":
		row = s.queryRow(ctx, "flag_eval_user", name, userID)
	default:
		row = s.queryRow(ctx, "flag_eval_anonymous", name)
	}
	var r flagRow
	err := row.Scan(&r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff, &r.authenticated,
		&r.languages, &r.rollout, &r.ramp, &r.member)
	if errors.Is(err, sql.ErrNoRows) {
		return s.missingFlag(ctx, name)
	}
	if err != nil {
		return false, opError("reading", "flag", name, err)
	}
	if err := r.applyRamp(s.cfg.Now); err != nil {
		return false, opError("evaluating", "flag", name, err)
	}
	return s.decide(ctx, name, &r, u), nil
}

// flagRow is what flag_eval returns.
type flagRow struct {
	everyone      sql.NullBool
	percent       sql.NullFloat64
	testing       bool
	superusers    bool
	staff         bool
	authenticated bool
	languages     string
	rollout       bool
	ramp          sql.NullString // JSON; NULL: no ramp (see applyRamp)
	member        bool           // the user is listed, or in a listed group
}

// decide runs steps 2 to 8 on a flag that exists.
func (s *Store) decide(ctx context.Context, name string, r *flagRow, u *User) bool {
	st := requestStateFrom(ctx)
	var req *requestInput
	if st != nil && st.req != nil {
		req = &requestInput{st: st}
	}

	// 2. Override.
	if on, ok := s.overrideDecision(name, req); ok {
		return on
	}

	// 3. Everyone.
	if r.everyone.Valid {
		return r.everyone.Bool
	}

	// 4. Testing.
	if r.testing && req != nil {
		if on, ok := s.testDecision(name, req); ok {
			return on
		}
	}

	// 5. Languages.
	if r.languages != "" && languageListed(r.languages, LanguageFrom(ctx)) {
		return true
	}

	// 6. User rules.
	if r.member || userRulesMatch(r, u) {
		return true
	}

	// 7. Percent.
	if r.percent.Valid && r.percent.Float64 > 0 {
		return s.percentDecision(name, r, u, st)
	}

	// 8.
	return false
}

// overrideDecision is step 2: the flag's name as a query parameter, when
// Config.Override allows it. ok is false when it does not decide.
func (s *Store) overrideDecision(name string, req *requestInput) (on, ok bool) {
	if !s.cfg.Override || req == nil || !req.hasQuery() {
		return false, false
	}
	m := newNameMatcher("%s", name, false)
	v, found := lookupQuery(req.rawQuery(), &m)
	return v == "1", found
}

// userRulesMatch is step 6's attribute rules: authenticated, staff,
// superusers, each against the user's own attribute.
func userRulesMatch(r *flagRow, u *User) bool {
	if u == nil {
		return false
	}
	return r.authenticated && u.Authenticated || r.staff && u.Staff || r.superusers && u.Superuser
}

// requestInput is the request the middleware put in the context.
type requestInput struct{ st *requestState }

func (ri *requestInput) hasQuery() bool   { return ri.st.req.URL != nil && ri.st.req.URL.RawQuery != "" }
func (ri *requestInput) rawQuery() string { return ri.st.req.URL.RawQuery }

// testDecision is step 4: the testing query parameter, header or cookie.
// ok is false when none of them is there.
func (s *Store) testDecision(name string, req *requestInput) (on, ok bool) {
	r := req.st.req
	form := ""
	if req.hasQuery() {
		m := newNameMatcher(s.cfg.Cookie.TestNameFormat, name, false)
		if v, found := lookupQuery(req.rawQuery(), &m); found {
			req.st.recordTest(name, v == "1")
			return v == "1", true
		}
	}
	if len(r.Header) > 0 {
		form = cookieForm(name)
		m := newNameMatcher(s.cfg.Cookie.TestNameFormat, form, true)
		if v, found := lookupHeader(r, &m); found {
			req.st.recordTest(name, v == "1")
			return v == "1", true
		}
	}
	if hasCookies(r) {
		if form == "" {
			form = cookieForm(name)
		}
		m := newNameMatcher(s.cfg.Cookie.TestNameFormat, form, false)
		if v, found := lookupCookie(r, &m); found {
			return v == "True", true
		}
	}
	return false, false
}

// percentDecision is step 7, for a flag whose percent is above 0.
func (s *Store) percentDecision(name string, r *flagRow, u *User, st *requestState) bool {
	if st != nil {
		if on, ok := st.memo(name); ok {
			return on
		}
	}
	percent := r.percent.Float64
	if u != nil && u.ID != "" {
		// Deterministic: no memo needed (the answer is the same on every
		// call) and no cookie.
		return percentBucket(name, u.ID) < percent
	}
	if st != nil && st.req != nil && hasCookies(st.req) {
		m := newNameMatcher(s.cfg.Cookie.NameFormat, cookieForm(name), false)
		if v, ok := lookupCookie(st.req, &m); ok {
			on := v == "True"
			st.recordPercent(name, on, r.rollout) // refreshes the cookie
			return on
		}
	}
	on := s.cfg.Rand()*100 < percent
	if st != nil {
		st.recordPercent(name, on, r.rollout)
	}
	return on
}

// missingFlag is step 1.
func (s *Store) missingFlag(ctx context.Context, name string) (bool, error) {
	s.logMissing(ctx, s.cfg.LogMissingFlags, "flag", name)
	if s.cfg.CreateMissingFlags {
		if _, err := s.exec(ctx, s.pool(), "flag_create_missing", name, s.cfg.FlagDefault, s.now()); err != nil {
			return s.cfg.FlagDefault, opError("creating missing", "flag", name, err)
		}
	}
	return s.cfg.FlagDefault, nil
}

// storableUserID reports whether id passes validateUserID, without
// allocating.
func storableUserID(id string) bool {
	if id == "" || !utf8.ValidString(id) {
		return false
	}
	n := 0
	for _, r := range id {
		if unicode.IsControl(r) {
			return false
		}
		n++
	}
	return n <= MaxUserIDLength
}
