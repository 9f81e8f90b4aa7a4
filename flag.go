package waffle

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Flag is django-waffle's Flag: a feature that is on for some requests and
// off for others, decided per request by [Store.FlagIsActive] from the rules
// below. Embed it in a struct of your own to add columns (see [Model]).
//
// The zero Flag is off for everyone but the rules you add: Everyone nil
// (undecided), no percent, no user rules. Unlike django-waffle, Superusers
// defaults to false.
type Flag struct {
	ID   int64  `json:"id" gorm:"-:migration"`   // the row's key, set by the library
	Name string `json:"name" gorm:"-:migration"` // unique; see [ValidateName]

	// Everyone is the master switch: true turns the flag on for every
	// request, false turns it off for every request (no other rule can turn
	// it on, except Config.Override), nil leaves the decision to the other
	// rules. Stored as NULL when nil.
	Everyone *bool `json:"everyone" gorm:"-:migration"`

	// Percent, when set and above 0, turns the flag on for that share of
	// users and visitors (0 to 100 inclusive). nil means no percent rule.
	Percent *float64 `json:"percent" gorm:"-:migration"`

	// Ramp, when set, moves the percent on a schedule (a progressive
	// rollout): while the flag has one, the ramp's percent at Config.Now
	// replaces Percent, which applies again once the ramp is cleared. nil
	// means no ramp. Stored as JSON in one column; see [Ramp].
	Ramp *Ramp `json:"ramp" gorm:"-:migration"`

	// Testing lets a request turn the flag on or off for itself with the
	// dwft_<name> query parameter or header, remembered in a dwft_<name>
	// cookie.
	Testing bool `json:"testing" gorm:"-:migration"`

	// Superusers turns the flag on for users with User.Superuser.
	Superusers bool `json:"superusers" gorm:"-:migration"`

	// Staff turns the flag on for users with User.Staff.
	Staff bool `json:"staff" gorm:"-:migration"`

	// Authenticated turns the flag on for users with User.Authenticated.
	Authenticated bool `json:"authenticated" gorm:"-:migration"`

	// Languages turns the flag on for requests whose language (see
	// [WithLanguage]) is exactly one of these, case-sensitively.
	Languages LanguageList `json:"languages" gorm:"-:migration"`

	// Rollout makes an "off" percent cookie last only for the browser
	// session, so that visitors who are off are drawn again next session.
	Rollout bool `json:"rollout" gorm:"-:migration"`

	// Note is free text.
	Note string `json:"note" gorm:"-:migration"`

	// Users are the application's user IDs the flag is on for. Stored in
	// waffle_flag_user; [Save] replaces them.
	Users []string `json:"users" gorm:"-"`

	// Groups are the names of groups whose members the flag is on for.
	// Stored in waffle_flag_group; [Save] replaces them, creating groups that
	// do not exist yet. Groups named "WAFFLE_..." belong to
	// [Store.SyncMembership]: Save neither attaches nor detaches them, and
	// [Load] lists them.
	Groups []string `json:"groups" gorm:"-"`

	Created  time.Time `json:"created" gorm:"-:migration"`  // set by the library, UTC
	Modified time.Time `json:"modified" gorm:"-:migration"` // set by the library at every write, UTC
}

// TableName is the flags' table, for gorm.
func (Flag) TableName() string { return "waffle_flag" }

func (f *Flag) record() record { return f }
func (f *Flag) kind() string   { return "flag" }
func (f *Flag) name() string   { return f.Name }

func (f *Flag) touch(now time.Time) { touch(&f.Created, &f.Modified, now) }

func (f *Flag) auditState() map[string]any { return flagState(f) }
func (f *Flag) auditLoad(ctx context.Context, s *Store, tx *gorm.DB) (map[string]any, bool, error) {
	_, state, found, err := s.loadFlagState(ctx, tx.Statement.ConnPool, f.Name)
	return state, found, err
}

func (f *Flag) validate() error {
	if err := ValidateName("flag", f.Name); err != nil {
		return err
	}
	if f.Percent != nil {
		p, err := checkPercent("flag", f.Name, *f.Percent)
		if err != nil {
			return err
		}
		f.Percent = &p // a new pointer: the caller's value may be shared
	}
	if f.Ramp != nil {
		r, err := f.Ramp.checked("flag", f.Name)
		if err != nil {
			return err
		}
		f.Ramp = r
	}
	for _, l := range f.Languages {
		if strings.IndexByte(l, ',') >= 0 {
			return &ValueError{Kind: "flag", Name: f.Name, Field: "languages", Reason: "language " + quoteTrunc(l) + " contains a comma"}
		}
	}
	for _, id := range f.Users {
		if err := validateUserID("flag", f.Name, id); err != nil {
			return err
		}
	}
	for _, g := range f.Groups {
		if err := ValidateName("group", g); err != nil {
			return err
		}
	}
	return nil
}

// saved replaces the flag's users and groups inside Save's transaction.
func (f *Flag) saved(ctx context.Context, s *Store, tx *gorm.DB) error {
	ex := tx.Statement.ConnPool
	users := jsonStringArray(f.Users, false)
	if _, err := s.exec(ctx, ex, "flag_users_keep_only", f.ID, users); err != nil {
		return err
	}
	if _, err := s.exec(ctx, ex, "flag_users_add", f.ID, users); err != nil {
		return err
	}
	own := make([]string, 0, len(f.Groups))
	for _, g := range f.Groups {
		if !isSyncGroup(g) {
			own = append(own, g)
		}
	}
	groups := jsonStringArray(own, false)
	if _, err := s.exec(ctx, ex, "flag_groups_keep_only", f.ID, groups); err != nil {
		return err
	}
	if s.auditing() {
		if _, err := s.exec(ctx, ex, "audit_group_create_many", groups, s.auditTime(s.now()), actorFrom(ctx)); err != nil {
			return err
		}
	}
	if _, err := s.exec(ctx, ex, "group_create_many", groups, s.now()); err != nil {
		return err
	}
	if _, err := s.exec(ctx, ex, "flag_groups_add", f.ID, groups); err != nil {
		return err
	}
	return f.loaded(ctx, s, tx)
}

// loaded fills Users and Groups.
func (f *Flag) loaded(ctx context.Context, s *Store, tx *gorm.DB) error {
	ex := tx.Statement.ConnPool
	var err error
	if f.Users, err = scanStrings(ctx, s, ex, "flag_users", f.ID); err != nil {
		return err
	}
	f.Groups, err = scanStrings(ctx, s, ex, "flag_groups", f.ID)
	return err
}

// scanStrings runs stmt and returns its one text column.
func scanStrings(ctx context.Context, s *Store, ex execer, stmt string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, ex, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// GetFlag returns the flag called name with its users and groups, or a
// *NotFoundError.
func (s *Store) GetFlag(ctx context.Context, name string) (*Flag, error) {
	return Load[Flag](ctx, s, name)
}

// ListFlags returns every flag with its users and groups, ordered by name,
// in three statements however many flags there are ([List] of a custom flag
// model reads each flag's lists separately).
func (s *Store) ListFlags(ctx context.Context) ([]Flag, error) {
	var flags []Flag
	db := s.db.WithContext(ctx)
	if err := db.Order(clause.OrderByColumn{Column: clause.Column{Name: "name"}}).Find(&flags).Error; err != nil {
		return nil, opError("listing", "flags", "", err)
	}
	byID := make(map[int64]*Flag, len(flags))
	for i := range flags {
		flags[i].Users, flags[i].Groups = []string{}, []string{}
		byID[flags[i].ID] = &flags[i]
	}
	ex := db.Statement.ConnPool
	for _, list := range []struct {
		stmt string
		add  func(f *Flag, v string)
	}{
		{"flag_all_users", func(f *Flag, v string) { f.Users = append(f.Users, v) }},
		{"flag_all_groups", func(f *Flag, v string) { f.Groups = append(f.Groups, v) }},
	} {
		if err := s.scanFlagLists(ctx, ex, list.stmt, byID, list.add); err != nil {
			return nil, opError("listing", "flags", "", err)
		}
	}
	return flags, nil
}

// scanFlagLists runs stmt, whose rows are (flag ID, value), and adds each
// value to its flag. Rows of flags created after the flags were read are
// ignored.
func (s *Store) scanFlagLists(ctx context.Context, ex execer, stmt string, byID map[int64]*Flag, add func(*Flag, string)) error {
	rows, err := s.query(ctx, ex, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return err
		}
		if f := byID[id]; f != nil {
			add(f, v)
		}
	}
	return rows.Err()
}

// SaveFlag creates or updates f, every field of it, its users and groups
// included, in one transaction: [Save] for the library's own Flag.
func (s *Store) SaveFlag(ctx context.Context, f *Flag) error {
	if err := s.djangoCheckUsersExist(ctx, "flag", f.Name, f.Users); err != nil {
		return err
	}
	return Save(ctx, s, f)
}

// DeleteFlag deletes the flag called name with everything that hangs on it,
// in one transaction: its user and group lists, its time windows, and the
// WAFFLE_<name> group that [Store.SyncMembership] keeps for it (with its
// members). Deletes are explicit, so they happen on SQLite databases opened
// without foreign keys too. A flag that does not exist is a *NotFoundError
// and nothing is deleted.
func (s *Store) DeleteFlag(ctx context.Context, name string) error {
	if err := ValidateName("flag", name); err != nil {
		return err
	}
	syncGroup := syncGroupPrefix + name
	err := s.writeTx(ctx, func(ex execer) error {
		var before map[string]any
		if s.auditing() {
			_, state, found, err := s.loadFlagState(ctx, ex, name)
			if err != nil {
				return err
			}
			if !found {
				return &NotFoundError{Kind: "flag", Name: name}
			}
			before = state
		}
		for _, st := range []struct {
			stmt string
			arg  string
		}{
			{"flag_delete_windows", name},
			{"flag_delete_users", name},
			{"flag_delete_groups", name},
			{"group_delete_members", syncGroup},
			{"group_delete_links", syncGroup},
			{"group_delete", syncGroup},
		} {
			if _, err := s.exec(ctx, ex, st.stmt, st.arg); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, ex, "flag_delete", name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return &NotFoundError{Kind: "flag", Name: name}
		}
		if before == nil {
			return nil
		}
		return s.writeEntry(ctx, ex, entry{action: actionDelete, kind: "flag", name: name, before: before})
	})
	var nf *NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return opError("deleting", "flag", name, err)
	}
	return err
}

// AddFlagUsers lists user IDs on the flag called name, in one transaction.
// IDs already listed are left as they are. An invalid ID is a *ValueError
// and nothing is written; a flag that does not exist is a *NotFoundError.
func (s *Store) AddFlagUsers(ctx context.Context, name string, ids ...string) error {
	if err := s.djangoCheckUsers("flag", name, ids); err != nil {
		return err
	}
	if err := s.djangoCheckUsersExist(ctx, "flag", name, ids); err != nil {
		return err
	}
	return s.changeFlagList(ctx, "adding users to", name, ids, validateIDs, "flag_users_add")
}

// RemoveFlagUsers takes user IDs off the flag called name. IDs that are not
// listed are ignored.
func (s *Store) RemoveFlagUsers(ctx context.Context, name string, ids ...string) error {
	return s.changeFlagList(ctx, "removing users from", name, ids, validateIDs, "flag_users_remove")
}

// AddFlagGroups lists groups on the flag called name, in one transaction,
// creating groups that do not exist yet. Groups already listed are left as
// they are. Names starting with "WAFFLE_" belong to [Store.SyncMembership]
// and are refused with a *NameError.
func (s *Store) AddFlagGroups(ctx context.Context, name string, groups ...string) error {
	if err := s.djangoCheckGroups("flag", name, groups); err != nil {
		return err
	}
	return s.changeFlagList(ctx, "adding groups to", name, groups, validateOwnGroups, "group_create_many", "flag_groups_add")
}

// RemoveFlagGroups takes groups off the flag called name. Groups that are
// not listed, or do not exist, are ignored; the groups themselves stay.
func (s *Store) RemoveFlagGroups(ctx context.Context, name string, groups ...string) error {
	return s.changeFlagList(ctx, "removing groups from", name, groups, validateOwnGroups, "flag_groups_remove")
}

func validateIDs(flag string, ids []string) error {
	for _, id := range ids {
		if err := validateUserID("flag", flag, id); err != nil {
			return err
		}
	}
	return nil
}

func validateOwnGroups(_ string, groups []string) error {
	for _, g := range groups {
		if err := validateOwnGroupName(g); err != nil {
			return err
		}
	}
	return nil
}

// changeFlagList validates values, then in one transaction touches the
// flag's modified time (finding its ID) and runs stmts with the flag's ID
// and values as a JSON array. group_create_many takes the values and the time
// instead.
func (s *Store) changeFlagList(ctx context.Context, doing, name string, values []string,
	check func(string, []string) error, stmts ...string) error {
	if err := ValidateName("flag", name); err != nil {
		return err
	}
	if err := check(name, values); err != nil {
		return err
	}
	if len(values) == 0 {
		// Nothing to change: only say whether the flag exists.
		var id int64
		err := s.queryRow(ctx, "flag_id", name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Kind: "flag", Name: name}
		}
		if err != nil {
			return opError(doing, "flag", name, err)
		}
		return nil
	}
	list := jsonStringArray(values, false)
	now := s.now()
	err := s.writeTx(ctx, func(ex execer) error {
		var id int64
		err := ex.QueryRowContext(ctx, s.q.SQL("flag_touch"), name, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Kind: "flag", Name: name}
		}
		if err != nil {
			return err
		}
		// The entry: which values really come or go, read with the flag's
		// row locked by flag_touch.
		field, removing, change, err := s.flagListChange(ctx, ex, id, list, values, stmts)
		if err != nil {
			return err
		}
		if err := s.runFlagListStmts(ctx, ex, id, list, now, stmts); err != nil {
			return err
		}
		if len(change) == 0 {
			return nil
		}
		slices.Sort(change)
		e := entry{action: actionUpdate, kind: "flag", name: name,
			before: map[string]any{field: []string{}}, after: map[string]any{field: change}}
		if removing {
			e.before, e.after = e.after, e.before
		}
		return s.writeEntry(ctx, ex, e)
	})
	var nf *NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return opError(doing, "flag", name, err)
	}
	return err
}

// flagListChange returns what changeFlagList's stmts change on the flag's
// list, for its audit entry: the field ("users" or "groups"), whether values
// go rather than come, and the values that really do (none when auditing
// is off).
func (s *Store) flagListChange(ctx context.Context, ex execer, id int64, list string, values, stmts []string) (field string, removing bool, change []string, err error) {
	field, among := "users", "audit_flag_users_among"
	for _, stmt := range stmts {
		switch stmt {
		case "flag_groups_add", "flag_groups_remove":
			field, among = "groups", "audit_flag_groups_among"
		}
		removing = removing || stmt == "flag_users_remove" || stmt == "flag_groups_remove"
	}
	if !s.auditing() {
		return field, removing, nil, nil
	}
	listed, err := scanStrings(ctx, s, ex, among, id, list)
	if err != nil {
		return field, removing, nil, err
	}
	return field, removing, listChange(values, listed, removing), nil
}

// runFlagListStmts runs changeFlagList's stmts with the flag's ID and the
// values as a JSON array; group_create_many takes the values and the time
// instead, and writes the entries of the groups it creates.
func (s *Store) runFlagListStmts(ctx context.Context, ex execer, id int64, list string, now time.Time, stmts []string) error {
	for _, stmt := range stmts {
		args := []any{id, list}
		if stmt == "group_create_many" {
			args = []any{list, now}
			if s.auditing() {
				if _, err := s.exec(ctx, ex, "audit_group_create_many", list, s.auditTime(now), actorFrom(ctx)); err != nil {
					return err
				}
			}
		}
		if _, err := s.exec(ctx, ex, stmt, args...); err != nil {
			return err
		}
	}
	return nil
}
