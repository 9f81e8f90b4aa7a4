package waffle

import (
	"context"
	"database/sql"
	"errors"
)

// djangoCheckUsersExist requires, in Django mode, every ID of ids to be the
// key of an auth_user row, in one statement on the primary, so that a key
// of no user (a typo in the admin) is a *ValueError naming it instead of a
// foreign-key violation. IDs that are not keys are left to the format check
// (djangoCheckUsers), which runs first.
func (s *Store) djangoCheckUsersExist(ctx context.Context, kind, name string, ids []string) error {
	if s.cfg.Django == nil || len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		if djangoUserID(id) == nil {
			return nil
		}
	}
	var missing string
	err := s.writeQueryRow(ctx, "django_users_missing", jsonStringArray(ids, false)).Scan(&missing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return opError("checking users of", kind, name, err)
	}
	return &ValueError{Kind: kind, Name: name, Field: "users", Reason: "no auth_user has the key " + quoteTrunc(missing) + " (Django mode)"}
}
