package waffle

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// Group is a named set of users, stored by the library (waffle_group and
// waffle_group_member). A flag listing a group is on for its members, and
// for users whose [User].Groups name it.
//
// Groups named "WAFFLE_<flag>" belong to [Store.SyncMembership], which
// rebuilds their members from time windows: the calls below that change
// groups refuse such names with a *NameError, and [Store.DeleteFlag] deletes
// the flag's one. They are listed like any other group.
type Group struct {
	ID      int64     `json:"id"`      // the row's key
	Name    string    `json:"name"`    // unique; see [ValidateName]
	Created time.Time `json:"created"` // UTC
}

// syncGroupPrefix starts the names of the groups SyncMembership owns.
const syncGroupPrefix = "WAFFLE_"

// isSyncGroup reports whether the group called name belongs to the window
// sync.
func isSyncGroup(name string) bool { return strings.HasPrefix(name, syncGroupPrefix) }

// validateOwnGroupName checks a group name that user code writes: the name
// rule, and not the sync's prefix.
func validateOwnGroupName(name string) error {
	if err := ValidateName("group", name); err != nil {
		return err
	}
	if isSyncGroup(name) {
		return &NameError{Kind: "group", Name: name,
			Reason: `the "WAFFLE_" prefix is reserved for the groups SyncMembership keeps`}
	}
	return nil
}

// CreateGroup creates the group called name. Creating a group that exists
// does nothing. Names follow the name rule (a *NameError otherwise), and
// must not start with "WAFFLE_".
func (s *Store) CreateGroup(ctx context.Context, name string) error {
	if err := validateOwnGroupName(name); err != nil {
		return err
	}
	if err := s.djangoCheckGroups("group", name, []string{name}); err != nil {
		return err
	}
	err := s.write(ctx, func(ex execer) error {
		created, err := s.execCount(ctx, ex, "group_create", name, s.now())
		if err != nil || created == 0 {
			return err
		}
		return s.writeEntry(ctx, ex, entry{action: actionCreate, kind: "group", name: name,
			after: map[string]any{"members": []string{}}})
	})
	if err != nil {
		return opError("creating", "group", name, err)
	}
	return nil
}

// DeleteGroup deletes the group called name, its members and its place on
// every flag, in one transaction, or returns a *NotFoundError.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	if err := validateOwnGroupName(name); err != nil {
		return err
	}
	err := s.writeTx(ctx, func(ex execer) error {
		if s.auditing() {
			members, err := s.lockedMembers(ctx, ex, name)
			if err != nil {
				return err
			}
			if err := s.writeEntry(ctx, ex, entry{action: actionDelete, kind: "group", name: name,
				before: map[string]any{"members": members}}); err != nil {
				return err
			}
		}
		for _, stmt := range []string{"group_delete_members", "group_delete_links"} {
			if _, err := s.exec(ctx, ex, stmt, name); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, ex, "group_delete", name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return &NotFoundError{Kind: "group", Name: name}
		}
		return nil
	})
	return groupError("deleting", name, err)
}

// ListGroups returns every group, ordered by name.
func (s *Store) ListGroups(ctx context.Context) ([]Group, error) {
	rows, err := s.query(ctx, s.pool(), "group_list")
	if err != nil {
		return nil, opError("listing", "groups", "", err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.ID, &g.Name, &g.Created); err != nil {
			return nil, opError("listing", "groups", "", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, opError("listing", "groups", "", err)
	}
	return out, nil
}

// AddGroupMembers adds users to the group called group, creating the group
// when it does not exist, in one transaction. Users already in it are left
// as they are. An invalid user ID is a *ValueError and nothing is written.
func (s *Store) AddGroupMembers(ctx context.Context, group string, users ...string) error {
	if err := validateGroupMembers(group, users); err != nil {
		return err
	}
	if err := s.djangoCheckGroups("group", group, []string{group}); err != nil {
		return err
	}
	if err := s.djangoCheckUsers("group", group, users); err != nil {
		return err
	}
	if err := s.djangoCheckUsersExist(ctx, "group", group, users); err != nil {
		return err
	}
	now := s.now()
	list := jsonStringArray(users, false)
	err := s.writeTx(ctx, func(ex execer) error {
		created, err := s.execCount(ctx, ex, "group_create", group, now)
		if err != nil {
			return err
		}
		id, err := s.groupID(ctx, ex, group)
		if err != nil {
			return err
		}
		var added []string
		if s.auditing() {
			members, err := scanStrings(ctx, s, ex, "audit_group_members_among", id, list)
			if err != nil {
				return err
			}
			added = listChange(users, members, false)
		}
		if _, err = s.exec(ctx, ex, "group_members_add", id, list); err != nil {
			return err
		}
		return s.recordMembers(ctx, ex, group, created > 0, added, false)
	})
	return groupError("adding members to", group, err)
}

// RemoveGroupMembers removes users from the group called group. Users that
// are not members are ignored; a group that does not exist is a
// *NotFoundError.
func (s *Store) RemoveGroupMembers(ctx context.Context, group string, users ...string) error {
	if err := validateGroupMembers(group, users); err != nil {
		return err
	}
	list := jsonStringArray(users, false)
	err := s.writeTx(ctx, func(ex execer) error {
		id, err := s.groupID(ctx, ex, group)
		if err != nil {
			return err
		}
		var removed []string
		if s.auditing() {
			members, err := scanStrings(ctx, s, ex, "audit_group_members_among", id, list)
			if err != nil {
				return err
			}
			removed = listChange(users, members, true)
		}
		if _, err = s.exec(ctx, ex, "group_members_remove", id, list); err != nil {
			return err
		}
		return s.recordMembers(ctx, ex, group, false, removed, true)
	})
	return groupError("removing members from", group, err)
}

// GroupMembers returns the user IDs in the group called group, sorted, or a
// *NotFoundError. One statement.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]string, error) {
	if err := ValidateName("group", group); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.pool(), "group_members", group)
	if err != nil {
		return nil, opError("listing members of", "group", group, err)
	}
	defer rows.Close()
	found := false
	out := []string{}
	for rows.Next() {
		var id int64
		var user sql.NullString
		if err := rows.Scan(&id, &user); err != nil {
			return nil, opError("listing members of", "group", group, err)
		}
		found = true
		if user.Valid {
			out = append(out, user.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, opError("listing members of", "group", group, err)
	}
	if !found {
		return nil, &NotFoundError{Kind: "group", Name: group}
	}
	return out, nil
}

// UserGroups returns the names of the groups user is a stored member of,
// sorted (a user in none gets an empty list).
func (s *Store) UserGroups(ctx context.Context, user string) ([]string, error) {
	if err := validateUserID("user", "", user); err != nil {
		return nil, err
	}
	groups, err := scanStrings(ctx, s, s.pool(), "user_groups", user)
	if err != nil {
		return nil, opError("listing groups of", "user", user, err)
	}
	return groups, nil
}

func validateGroupMembers(group string, users []string) error {
	if err := validateOwnGroupName(group); err != nil {
		return err
	}
	for _, u := range users {
		if err := validateUserID("group", group, u); err != nil {
			return err
		}
	}
	return nil
}

// recordMembers writes the entry of a change of group's members: users
// added (or removed), the group's creation when created. Nothing changed,
// nothing written.
func (s *Store) recordMembers(ctx context.Context, ex execer, group string, created bool, users []string, removed bool) error {
	slices.Sort(users)
	if users == nil {
		users = []string{}
	}
	switch {
	case created:
		return s.writeEntry(ctx, ex, entry{action: actionCreate, kind: "group", name: group,
			after: map[string]any{"members": users}})
	case len(users) == 0:
		return nil
	case removed:
		return s.writeEntry(ctx, ex, entry{action: actionUpdate, kind: "group", name: group,
			before: map[string]any{"members": users}, after: map[string]any{"members": []string{}}})
	}
	return s.writeEntry(ctx, ex, entry{action: actionUpdate, kind: "group", name: group,
		before: map[string]any{"members": []string{}}, after: map[string]any{"members": users}})
}

// lockedMembers returns the members of the group called name, sorted, for
// the entry of its deletion, or a *NotFoundError. The group is locked on
// PostgreSQL (group_id reads it FOR KEY SHARE; group_delete follows).
func (s *Store) lockedMembers(ctx context.Context, ex execer, name string) ([]string, error) {
	if _, err := s.groupID(ctx, ex, name); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, ex, "group_members", name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id int64
		var user sql.NullString
		if err := rows.Scan(&id, &user); err != nil {
			return nil, err
		}
		if user.Valid {
			out = append(out, user.String)
		}
	}
	return out, rows.Err()
}

// groupID returns the ID of the group called name, or a *NotFoundError.
func (s *Store) groupID(ctx context.Context, ex execer, name string) (int64, error) {
	var id int64
	err := ex.QueryRowContext(ctx, s.q.SQL("group_id"), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &NotFoundError{Kind: "group", Name: name}
	}
	return id, err
}

// groupError wraps a database error with what was being done; typed errors
// pass as they are.
func groupError(doing, name string, err error) error {
	var nf *NotFoundError
	if err == nil || errors.As(err, &nf) {
		return err
	}
	return opError(doing, "group", name, err)
}
