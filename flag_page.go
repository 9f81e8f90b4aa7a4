package waffle

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
	// in byte order.
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
	Users []string // in byte order
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
	if p.Limit <= 0 {
		p.Limit = 100
	}
	rows, err := s.query(ctx, s.pool(), "flag_users_page", name, p.Search, p.After, p.Limit+1)
	if err != nil {
		return UserList{}, opError("listing users of", "flag", name, err)
	}
	defer rows.Close()
	out := UserList{Users: []string{}}
	found := false
	for rows.Next() {
		var id int64
		var user sql.NullString
		if err := rows.Scan(&id, &out.Total, &user); err != nil {
			return UserList{}, opError("listing users of", "flag", name, err)
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
		return UserList{}, opError("listing users of", "flag", name, err)
	}
	if !found {
		return UserList{}, &NotFoundError{Kind: "flag", Name: name}
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

// ListFlagRules returns every flag without its users and groups (both nil),
// ordered by name, in one statement.
func (s *Store) ListFlagRules(ctx context.Context) ([]Flag, error) {
	var flags []Flag
	db := s.db.WithContext(ctx)
	if err := db.Order(clause.OrderByColumn{Column: clause.Column{Name: "name"}}).Find(&flags).Error; err != nil {
		return nil, opError("listing", "flags", "", err)
	}
	return flags, nil
}
