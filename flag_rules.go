package waffle

import (
	"context"

	"gorm.io/gorm"
)

// flagRules is a Flag saved without its lists: Save writes its columns and
// leaves its users and groups as they are, and its audit entries record
// only the columns.
type flagRules struct{ Flag }

func (f *flagRules) record() record { return f }

func (f *flagRules) saved(context.Context, *Store, *gorm.DB) error { return nil }

func (f *flagRules) auditState() map[string]any { return withoutLists(flagState(&f.Flag)) }

func (f *flagRules) auditLoad(ctx context.Context, s *Store, tx *gorm.DB) (map[string]any, bool, error) {
	state, found, err := f.Flag.auditLoad(ctx, s, tx)
	return withoutLists(state), found, err
}

func withoutLists(state map[string]any) map[string]any {
	if state != nil {
		delete(state, "users")
		delete(state, "groups")
	}
	return state
}

// SaveFlagRules creates or updates the flag f.Name with every field of f but
// its lists: f.Users and f.Groups are ignored, and the flag keeps the users
// and groups it has (a new flag has none). Its cost does not grow with the
// flag's users, and a user added meanwhile is kept. f's ID, Created and
// Modified are set as stored.
func (s *Store) SaveFlagRules(ctx context.Context, f *Flag) error {
	r := &flagRules{Flag: *f}
	r.Users, r.Groups = nil, nil
	if err := Save[flagRules](ctx, s, r); err != nil {
		return err
	}
	f.ID, f.Created, f.Modified = r.ID, r.Created, r.Modified
	return nil
}
