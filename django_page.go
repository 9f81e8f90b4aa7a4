package waffle

// Django mode's admin reads and SaveFlagRules: the paged reads run their
// Django-mode statements (internal/query/django_*/flag_page.sql), whose
// users are auth_user keys in key order; SaveFlagRules saves a flagRules,
// which Django mode checks and writes as the Flag it wraps.

// djangoCheckAfter requires, in Django mode, a UserPage's After to be ""
// or an auth_user key: pages of auth_user keys go in key order.
func (s *Store) djangoCheckAfter(kind, name, after string) error {
	if s.cfg.Django == nil || after == "" || djangoUserID(after) != nil {
		return nil
	}
	return &ValueError{Kind: kind, Name: name, Field: "after",
		Reason: quoteTrunc(after) + " is not an auth_user primary key (Django mode pages users by key)"}
}

// djangoRecord returns the record Django mode checks and writes for r: the
// Flag of SaveFlagRules' flagRules, else r.
func djangoRecord(r record) record {
	if fr, ok := r.(*flagRules); ok {
		return &fr.Flag
	}
	return r
}
