package waffle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
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
// Everyone; with Testing, the testing parameter, header or cookie; Users and
// Groups; Superusers, Staff, Authenticated; Languages; Percent, or while the
// flag has a Ramp the ramp's percent at Config.Now (an identified user's
// deterministic bucket, or an anonymous visitor's cookie or draw); else off.
// docs/flags.md gives the order in full; [Store.FlagDetail] says which rule
// decided.
//
// One SQL statement per call (two when a missing flag is created); an
// invalid name sends none and returns a *NameError.
func (s *Store) FlagIsActive(ctx context.Context, name string) (bool, error) {
	d, err := s.evalFlag(ctx, name, formActive, nil)
	return d.Active, err
}

// FlagDetail evaluates the flag called name as [Store.FlagIsActive] does, in
// one statement (FlagIsActive's, with the match, user or group, in place of
// its membership column; for a visitor without user ID or groups,
// FlagIsActive's own) and one shared evaluation, and also says why: the rule
// that decided, a group that matched, the percent used. On an error, Active
// is false and Reason is [ReasonError]. [Store.FlagDetailMeta] adds the
// flag's note and modified time.
func (s *Store) FlagDetail(ctx context.Context, name string) (FlagDetail, error) {
	return s.evalFlag(ctx, name, formDetail, nil)
}

// FlagDetailMeta is [Store.FlagDetail] with the flag's note and modified
// time, read by the same single statement (FlagDetail's, with the two
// columns after the match). The OpenFeature provider uses it for its flag
// metadata. Reading them costs a few percent of the call (on SQLite a text
// to build, copy and parse), which is why FlagDetail does not.
func (s *Store) FlagDetailMeta(ctx context.Context, name string) (FlagDetailMeta, error) {
	var m FlagDetailMeta
	d, err := s.evalFlag(ctx, name, formMeta, &m)
	if err != nil {
		return FlagDetailMeta{FlagDetail: d}, err
	}
	m.FlagDetail = d
	return m, nil
}

// evalForm is what evalFlag reads and returns.
type evalForm uint8

const (
	formActive evalForm = iota // FlagIsActive: the answer
	formDetail                 // FlagDetail: and the rule that decided
	formMeta                   // FlagDetailMeta: and the note and modified time
)

// evalFlag is FlagIsActive, FlagDetail and FlagDetailMeta; with formMeta, the
// note and modified time go to meta. Each form runs its own statement, so
// that a form reads, computes and allocates nothing it does not return: no
// group name for FlagIsActive, no note or modified time for FlagDetail.
func (s *Store) evalFlag(ctx context.Context, name string, form evalForm, meta *FlagDetailMeta) (FlagDetail, error) {
	if err := ValidateName("flag", name); err != nil {
		return FlagDetail{Reason: ReasonError}, err
	}
	// FlagIsActive from the snapshot or the request's batch, when there is
	// one (the details always read their own statement).
	if form == formActive {
		if d, ok, err := s.flagFromMemory(ctx, name); ok {
			return d, err
		}
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
	// The narrowest of three statements (query/*/flag_eval.sql says why),
	// or its _detail or _meta twin: the same row, with the match in place of
	// the membership column, and for _meta the modified time and the note.
	// FlagIsActive's statements have no parameter that switches a branch
	// off, so PostgreSQL keeps their generic plans.
	st := &evalStatements[form]
	var row *sql.Row
	switch {
	case s.cfg.Django != nil:
		row = s.djangoFlagRow(ctx, name, u, st.full, st.user, st.anonymous)
	case len(groups) > 0:
		row = s.queryRow(ctx, st.full, name, userID, s.listArg(groups, true))
	case userID != "":
		row = s.queryRow(ctx, st.user, name, userID)
	default:
		row = s.queryRow(ctx, st.anonymous, name)
	}
	var r flagRow
	var d FlagDetail
	err := s.scanFlagRow(row, form, &r, meta)
	if errors.Is(err, sql.ErrNoRows) {
		return s.missingFlag(ctx, name)
	}
	if err != nil {
		return FlagDetail{Reason: ReasonError}, opError("reading", "flag", name, err)
	}
	if err := r.applyRamp(s.cfg.Now); err != nil {
		return FlagDetail{Reason: ReasonError}, opError("evaluating", "flag", name, err)
	}
	if r.detailText != "" {
		if err := r.splitDetail(meta); err != nil {
			return FlagDetail{Reason: ReasonError}, opError("reading", "flag", name, err)
		}
	}
	d.Active, d.Reason = s.decide(ctx, name, &r, u)
	switch {
	case d.Reason == ReasonGroup:
		d.Group = r.match.group
	case d.Reason.Percent():
		d.Percent = r.percent.Float64
		if r.ramp.Valid {
			d.Reason = ReasonRamp
		}
	}
	return d, nil
}

// scanFlagRow scans an evaluation row of form into r; with formMeta, the
// modified time and note of PostgreSQL's row go to meta.
func (s *Store) scanFlagRow(row *sql.Row, form evalForm, r *flagRow, meta *FlagDetailMeta) error {
	switch {
	case form == formDetail:
		return row.Scan(&r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff, &r.authenticated,
			&r.languages, &r.rollout, &r.ramp, &r.match)
	case form == formMeta && s.q.Dialect == "sqlite":
		// One text: the match, the modified time, the note (splitDetail).
		return row.Scan(&r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff, &r.authenticated,
			&r.languages, &r.rollout, &r.ramp, &r.detailText)
	case form == formMeta:
		var mod scanTime
		err := row.Scan(&r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff, &r.authenticated,
			&r.languages, &r.rollout, &r.ramp, &r.match, &mod, &meta.Note)
		meta.Modified = mod.t
		return err
	}
	return row.Scan(&r.everyone, &r.percent, &r.testing, &r.superusers, &r.staff, &r.authenticated,
		&r.languages, &r.rollout, &r.ramp, &r.member)
}

// evalStatements are the evaluation statements of each evalForm:
// FlagIsActive's, FlagDetail's twins (for an anonymous visitor,
// FlagIsActive's own: nothing can match, and its membership column is
// false), and FlagDetailMeta's.
var evalStatements = [3]struct{ full, user, anonymous string }{
	formActive: {"flag_eval", "flag_eval_user", "flag_eval_anonymous"},
	formDetail: {"flag_eval_detail", "flag_eval_user_detail", "flag_eval_anonymous"},
	formMeta:   {"flag_eval_meta", "flag_eval_user_meta", "flag_eval_anonymous_meta"},
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
	match         flagMatch      // from a _detail or _meta statement, instead of member
	detailText    string         // from SQLite's _meta statements, instead of member (splitDetail)
}

// flagMatch is the match column of a _detail or _meta statement: 'u' (the
// user is listed), 'g' and a group's name, or no match: NULL, '-', or the
// false membership column of flag_eval_anonymous.
type flagMatch struct {
	read  bool   // the column was read: match says which rule matched
	by    byte   // 'u' listed user, 'g' group, 0 neither
	group string // with 'g': the name of the group that matched
}

// Scan implements sql.Scanner, without allocating for anything but a
// group's name.
func (m *flagMatch) Scan(src any) error {
	m.read, m.by, m.group = true, 0, ""
	switch v := src.(type) {
	case nil:
		return nil
	case bool:
		if !v {
			return nil
		}
	case int64:
		if v == 0 {
			return nil
		}
	case string:
		return m.set(v)
	case []byte:
		return m.set(string(v))
	}
	return fmt.Errorf("waffle: cannot scan %T %v as a flag's match", src, src)
}

// set reads the match text: 'u', 'g' and a name, or '-'.
func (m *flagMatch) set(text string) error {
	switch {
	case text == "-":
		return nil
	case text == "u":
		m.by = 'u'
		return nil
	case len(text) > 1 && text[0] == 'g':
		m.by, m.group = 'g', text[1:]
		return nil
	}
	return fmt.Errorf("waffle: malformed flag match %q", text)
}

// listed reports whether step 6's membership matched, and whether by the
// user's ID (else by a group).
func (r *flagRow) listed() (match, byUser bool) {
	if r.match.read {
		return r.match.by != 0, r.match.by == 'u'
	}
	return r.member, true
}

// detailSep separates the parts of SQLite's detail text (the unit
// separator, which no name can hold).
const detailSep = "\x1f"

// splitDetail reads the text of SQLite's _meta statements: the match ('u',
// 'g' and the group's name, or '-'), the modified time and the note, each
// after a detailSep; the last two go to meta.
func (r *flagRow) splitDetail(meta *FlagDetailMeta) error {
	match, rest, _ := strings.Cut(r.detailText, detailSep)
	if err := r.match.set(match); err != nil {
		return err
	}
	r.match.read = true
	modified, note, ok := strings.Cut(rest, detailSep)
	if !ok {
		return errors.New("waffle: malformed flag detail")
	}
	t, ok := parseDetailTime(modified)
	if !ok {
		var st scanTime
		if err := st.parse(modified); err != nil {
			return err
		}
		t = st.t
	}
	meta.Note, meta.Modified = note, t
	return nil
}

// parseDetailTime parses the modified time of SQLite's detail text in the
// form the library's writes and go-sqlite3 store it,
// "2006-01-02 15:04:05.999999999+00:00" (any offset, or Z; the fraction
// optional; a T for the space), without time.Parse's layout matching. ok is
// false for any other form, which scanTime then reads.
func parseDetailTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	var f [6]int // year, month, day, hour, minute, second
	for k, at := range [6]int{0, 5, 8, 11, 14, 17} {
		width := 2
		if k == 0 {
			width = 4
		}
		n, ok := digits(s, at, at+width)
		if !ok {
			return time.Time{}, false
		}
		f[k] = n
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, false
	}
	nsec, rest, ok := fraction(s[19:])
	if !ok {
		return time.Time{}, false
	}
	offset, ok := zoneOffset(rest)
	if !ok {
		return time.Time{}, false
	}
	unix := daysFromCivil(f[0], f[1], f[2])*86400 + int64(f[3]*3600+f[4]*60+f[5]-offset)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// fraction reads an optional fraction of a second, "." and one to nine
// digits, at the start of s, as nanoseconds, and returns what follows.
func fraction(s string) (nsec int, rest string, ok bool) {
	if s == "" || s[0] != '.' {
		return 0, s, true
	}
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 1 || j > 10 {
		return 0, "", false // no digit, or more than nine
	}
	nsec, _ = digits(s, 1, j)
	for k := j - 1; k < 9; k++ {
		nsec *= 10
	}
	return nsec, s[j:], true
}

// zoneOffset reads "Z" or "+hh:mm"/"-hh:mm" as seconds east of UTC.
func zoneOffset(s string) (int, bool) {
	if s == "Z" {
		return 0, true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	h, ok1 := digits(s, 1, 3)
	m, ok2 := digits(s, 4, 6)
	if !ok1 || !ok2 {
		return 0, false
	}
	if s[0] == '-' {
		return -(h*60 + m) * 60, true
	}
	return (h*60 + m) * 60, true
}

// daysFromCivil returns the days from 1970-01-01 to a proleptic Gregorian
// date (Howard Hinnant's days_from_civil).
func daysFromCivil(year, month, day int) int64 {
	y := year
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((month+9)%12)+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// digits reads s[i:j] as a decimal number of ASCII digits.
func digits(s string, i, j int) (int, bool) {
	n := 0
	for ; i < j; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// decide runs steps 2 to 8 on a flag that exists.
func (s *Store) decide(ctx context.Context, name string, r *flagRow, u *User) (bool, Reason) {
	st := requestStateFrom(ctx)
	var req *requestInput
	if st != nil && st.req != nil {
		req = &requestInput{st: st}
	}

	// 2. Override.
	if on, ok := s.overrideDecision(name, req); ok {
		return on, ReasonOverride
	}

	// 3. Everyone.
	if r.everyone.Valid {
		if r.everyone.Bool {
			return true, ReasonEveryoneOn
		}
		return false, ReasonEveryoneOff
	}

	// 4. Testing.
	if r.testing && req != nil {
		if on, why := s.testDecision(name, req); why != "" {
			return on, why
		}
	}

	// 5 and 6. Users and groups, the user's attributes, languages: each
	// only turns the flag on, so their order decides only the reason.
	if why := userRulesMatch(r, u); why != "" {
		return true, why
	}
	if r.languages != "" && languageListed(r.languages, LanguageFrom(ctx)) {
		return true, ReasonLanguage
	}

	// 7. Percent.
	if r.percent.Valid && r.percent.Float64 > 0 {
		return s.percentDecision(name, r, u, st)
	}

	// 8.
	return false, ReasonNoMatch
}

// overrideDecision is step 2: the flag's name as a query parameter, when
// Config.Override allows it. ok is false when it does not decide.
func (s *Store) overrideDecision(name string, req *requestInput) (on, ok bool) {
	if !s.cfg.Override || req == nil || !req.hasQuery() {
		return false, false
	}
	v, found := req.st.queryParam(name)
	return v == "1", found
}

// userRulesMatch is step 6: the user listed or in a listed group, then
// superusers, staff, authenticated, each against the user's own attribute.
// It returns the rule that matched, or "".
func userRulesMatch(r *flagRow, u *User) Reason {
	if match, byUser := r.listed(); match {
		if byUser {
			return ReasonUser
		}
		return ReasonGroup
	}
	switch {
	case u == nil:
		return ""
	case r.superusers && u.Superuser:
		return ReasonSuperuser
	case r.staff && u.Staff:
		return ReasonStaff
	case r.authenticated && u.Authenticated:
		return ReasonAuthenticated
	}
	return ""
}

// requestInput is the request the middleware put in the context.
type requestInput struct{ st *requestState }

func (ri *requestInput) hasQuery() bool { return ri.st.req.URL != nil && ri.st.req.URL.RawQuery != "" }

// testDecision is step 4: the testing query parameter, header or cookie.
// why is "" when none of them is there.
func (s *Store) testDecision(name string, req *requestInput) (on bool, why Reason) {
	st := req.st
	if req.hasQuery() {
		if v, found := st.queryParam(formatName(s.cfg.Cookie.TestNameFormat, name)); found {
			st.recordTest(name, v == "1")
			return v == "1", ReasonTestingQuery
		}
	}
	if len(st.req.Header) == 0 {
		return false, ""
	}
	cookieName := s.testCookieName(name)
	if v, found := st.header(cookieName); found {
		st.recordTest(name, v == "1")
		return v == "1", ReasonTestingHeader
	}
	if hasCookies(st.req) {
		if v, found := st.cookie(cookieName); found {
			return v == "True", ReasonTestingCookie
		}
	}
	return false, ""
}

// percentDecision is step 7, for a flag whose percent is above 0.
func (s *Store) percentDecision(name string, r *flagRow, u *User, st *requestState) (bool, Reason) {
	if st != nil {
		if d, ok := st.memo(name); ok {
			why := ReasonPercentDraw
			if d.fromCookie {
				why = ReasonPercentCookie
			}
			return d.active, percentReason(why, d.active, d.rollout)
		}
	}
	percent := r.percent.Float64
	if s.cfg.Django != nil {
		// django-waffle keeps every visitor's decision in a cookie, an
		// identified user's too, and draws uniform(0, 100) <= percent.
		return s.cookieOrDraw(name, r, st, func() bool { return s.cfg.Rand()*100 <= percent })
	}
	if u != nil && u.ID != "" {
		// Deterministic: no memo needed (the answer is the same on every
		// call) and no cookie.
		return percentBucket(name, u.ID) < percent, ReasonPercentBucket
	}
	return s.cookieOrDraw(name, r, st, func() bool { return s.cfg.Rand()*100 < percent })
}

// cookieOrDraw is the percent step for a visitor: the percent cookie, else a
// draw; either is recorded for the memo and the cookie.
func (s *Store) cookieOrDraw(name string, r *flagRow, st *requestState, draw func() bool) (bool, Reason) {
	if st != nil && st.req != nil && hasCookies(st.req) {
		if v, ok := st.cookie(s.percentCookieName(name)); ok {
			on := v == "True"
			st.recordPercentCookie(name, on, r.rollout) // refreshes the cookie
			return on, percentReason(ReasonPercentCookie, on, r.rollout)
		}
	}
	on := draw()
	why := percentReason(ReasonPercentDraw, on, r.rollout)
	if st != nil {
		st.recordPercent(name, on, r.rollout)
	}
	return on, why
}

// percentReason is why, or ReasonRollout for an anonymous visitor's off in
// rollout mode (a session cookie: drawn again next session).
func percentReason(why Reason, on, rollout bool) Reason {
	if !on && rollout {
		return ReasonRollout
	}
	return why
}

// missingFlag is step 1.
func (s *Store) missingFlag(ctx context.Context, name string) (FlagDetail, error) {
	d := FlagDetail{Active: s.cfg.FlagDefault, Missing: true, Reason: ReasonMissingDefault}
	s.logMissing(ctx, s.cfg.LogMissingFlags, "flag", name)
	if s.cfg.CreateMissingFlags {
		if _, err := s.exec(ctx, s.writePool(), "flag_create_missing", name, s.cfg.FlagDefault, s.timeArg(s.now())); err != nil {
			d.Reason = ReasonError
			return d, opError("creating missing", "flag", name, err)
		}
		d.Reason = ReasonMissingCreated
	}
	return d, nil
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
