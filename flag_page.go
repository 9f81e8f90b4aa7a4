package waffle

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"
)

// The calls below read a flag in parts, for pages that must not load every
// user of a flag at once (the admin's flag list and flag page).

// UserPage selects one page of a flag's users for [Store.FlagUsers].
type UserPage struct {
	// Search keeps the IDs that contain it, case-sensitively.
	//
	// Defaults to "": every ID.
	Search string
	// After is the last ID of the previous page: the page starts after it,
	// in byte order (in Django mode, in the order of auth_user keys, and
	// After must be one).
	//
	// Defaults to "": the first page.
	After string
	// Limit is the most IDs the page holds.
	//
	// Defaults to 100 when 0 or less.
	Limit int
}

// UserList is one page of a flag's users.
type UserList struct {
	Users []string // in byte order (Django mode: in key order)
	Total int      // IDs matching the search, on every page
	More  bool     // another page follows: pass the last ID as After
}

// FlagUsers returns one page of the users listed on the flag called name,
// in one statement however many users it has. A flag that does not exist is
// a *NotFoundError.
func (s *Store) FlagUsers(ctx context.Context, name string, p UserPage) (UserList, error) {
	if err := ValidateName("flag", name); err != nil {
		return UserList{}, err
	}
	if err := s.djangoCheckAfter("flag", name, p.After); err != nil {
		return UserList{}, err
	}
	return s.userPage(ctx, "flag_users_page", "flag", name, p)
}

// GroupMemberPage returns one page of the members of the group called name
// (both those added with AddGroupMembers and those a time-window sync keeps),
// in one statement however many members it has. A group that does not
// exist is a *NotFoundError.
func (s *Store) GroupMemberPage(ctx context.Context, name string, p UserPage) (UserList, error) {
	if err := ValidateName("group", name); err != nil {
		return UserList{}, err
	}
	if err := s.djangoCheckAfter("group", name, p.After); err != nil {
		return UserList{}, err
	}
	return s.userPage(ctx, "group_members_page", "group", name, p)
}

// userPage runs stmt, whose rows are (object ID, matching count, user or
// NULL), for one page of p.
func (s *Store) userPage(ctx context.Context, stmt, kind, name string, p UserPage) (UserList, error) {
	if p.Limit <= 0 {
		p.Limit = 100
	}
	doing := "listing users of"
	if kind == "group" {
		doing = "listing members of"
	}
	rows, err := s.query(ctx, s.pool(), stmt, name, p.Search, p.After, p.Limit+1)
	if err != nil {
		return UserList{}, opError(doing, kind, name, err)
	}
	defer rows.Close()
	out := UserList{Users: []string{}}
	found := false
	for rows.Next() {
		var id int64
		var user sql.NullString
		if err := rows.Scan(&id, &out.Total, &user); err != nil {
			return UserList{}, opError(doing, kind, name, err)
		}
		found = true
		if !user.Valid {
			continue
		}
		if len(out.Users) == p.Limit {
			out.More = true
			continue
		}
		out.Users = append(out.Users, user.String)
	}
	if err := rows.Err(); err != nil {
		return UserList{}, opError(doing, kind, name, err)
	}
	if !found {
		return UserList{}, &NotFoundError{Kind: kind, Name: name}
	}
	return out, nil
}

// GetFlagRules returns the flag called name with its groups but without its
// users (Users is nil: page through them with [Store.FlagUsers]), in two
// statements, or a *NotFoundError.
func (s *Store) GetFlagRules(ctx context.Context, name string) (*Flag, error) {
	if err := ValidateName("flag", name); err != nil {
		return nil, err
	}
	var f Flag
	db := s.db.WithContext(ctx)
	err := db.Where(map[string]any{"name": name}).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, &NotFoundError{Kind: "flag", Name: name}
	}
	if err != nil {
		return nil, opError("loading", "flag", name, err)
	}
	if f.Groups, err = scanStrings(ctx, s, db.Statement.ConnPool, "flag_groups", f.ID); err != nil {
		return nil, opError("loading", "flag", name, err)
	}
	return &f, nil
}

// FlagQuery selects a page of flags for [Store.ListFlagPage]. The zero
// value is the first 50 flags by name.
type FlagQuery struct {
	// Search keeps the flags whose name contains it, ignoring the case of
	// ASCII letters. Defaults to "": every flag.
	Search string
	// Everyone keeps the flags whose Everyone is "on" (true), "off" (false)
	// or "unset" (nil). Defaults to "": any.
	Everyone string
	// Testing keeps the flags whose Testing is "yes" or "no". Defaults to
	// "": any.
	Testing string
	// Percent keeps the flags with a percent above 0 ("yes") or without one
	// ("no"). Defaults to "": any.
	Percent string
	// Sort is the column to sort by: "name", "note", "everyone" (unset, off,
	// on), "percent" (none first), "testing", "superusers", "staff",
	// "authenticated", "languages", "rollout", "created" or "modified"; ties
	// go by name. Defaults to "": the name.
	Sort string
	// Desc sorts in descending order. Defaults to false: ascending.
	Desc bool
	// Limit is the most flags returned. Defaults to 50 when 0 or less.
	Limit int
	// Offset is how many matching flags to skip. Defaults to 0.
	Offset int
}

// FlagPage is one page of flags.
type FlagPage struct {
	Flags []Flag // without their users and groups (nil)
	Total int    // the number of flags that match the query, on every page
}

var flagSorts = map[string]bool{"": true, "name": true, "note": true, "everyone": true, "percent": true,
	"testing": true, "superusers": true, "staff": true, "authenticated": true, "languages": true,
	"rollout": true, "created": true, "modified": true}

// ListFlagPage returns the page of flags q selects, filtered, sorted and cut
// by the database in one statement, so that its cost follows the page, not
// the number of flags. An unknown Sort, Everyone, Testing or Percent is a
// *ValueError.
func (s *Store) ListFlagPage(ctx context.Context, q FlagQuery) (FlagPage, error) {
	if !flagSorts[q.Sort] {
		return FlagPage{}, &ValueError{Kind: "flag query", Field: "sort", Reason: "unknown column " + quoteTrunc(q.Sort)}
	}
	for field, v := range map[string]string{"everyone": q.Everyone, "testing": q.Testing, "percent": q.Percent} {
		ok := v == "" || (field == "everyone" && (v == "on" || v == "off" || v == "unset")) ||
			(field != "everyone" && (v == "yes" || v == "no"))
		if !ok {
			return FlagPage{}, &ValueError{Kind: "flag query", Field: field, Reason: "unknown filter " + quoteTrunc(v)}
		}
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Offset = max(q.Offset, 0)
	rows, err := s.query(ctx, s.pool(), "flag_list_page", q.Search, q.Everyone, q.Testing, q.Percent,
		q.Sort, q.Desc, q.Limit, q.Offset)
	if err != nil {
		return FlagPage{}, opError("listing", "flags", "", err)
	}
	defer rows.Close()
	page := FlagPage{Flags: []Flag{}}
	for rows.Next() {
		var f Flag
		if err := rows.Scan(&f.ID, &f.Name, &f.Everyone, &f.Percent, &f.Testing, &f.Superusers, &f.Staff,
			&f.Authenticated, &f.Languages, &f.Rollout, &f.Note, &f.Ramp, &f.Created, &f.Modified, &page.Total); err != nil {
			return FlagPage{}, opError("listing", "flags", "", err)
		}
		f.Created, f.Modified = f.Created.UTC(), f.Modified.UTC()
		page.Flags = append(page.Flags, f)
	}
	if err := rows.Err(); err != nil {
		return FlagPage{}, opError("listing", "flags", "", err)
	}
	return page, nil
}
