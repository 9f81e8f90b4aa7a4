// Package waffleadmin is a web admin for a waffle.Store: an http.Handler that
// an application mounts under any path, where operators change flags (every
// field, users, groups, ramps), switches, samples, string flags (edit, import
// and export JSON), groups and time windows ("sync now" included), and read
// the audit trail.
//
// The admin is never open by default: New requires Config.Authorize, which
// maps each request to an actor and a Permission (View or Edit) or refuses
// it. Build it from the application's own session:
//
//	admin, err := waffleadmin.New(store, waffleadmin.Config{
//		Authorize: func(r *http.Request) (string, waffleadmin.Permission, error) {
//			u, ok := currentUser(r) // the application's session
//			switch {
//			case !ok:
//				return "", 0, errors.New("not logged in")
//			case u.IsOps:
//				return u.Email, waffleadmin.Edit, nil
//			}
//			return u.Email, waffleadmin.View, nil
//		},
//	})
//	mux.Handle("/admin/flags/", http.StripPrefix("/admin/flags", admin))
//
// Mounting: with http.StripPrefix as above, or without it
// (mux.Handle("/admin/flags/", admin)): the admin finds its prefix from the
// request either way, and every link, form and redirect stays under it.
//
// Every request runs Authorize, static files included. Changes are POSTs
// only; each must pass http.CrossOriginProtection and carry the form token
// of the session (an HMAC of the actor and a random session cookie under
// Config.TokenKey), and a View actor gets 403 (its pages show no edit
// controls). The actor reaches the audit trail through waffle.WithActor.
// Responses carry a Content-Security-Policy without 'unsafe-inline' (the
// stylesheet and the small script are embedded files; every action works
// without the script), X-Content-Type-Options: nosniff and frame-ancestors
// 'none'. A failing database gives a 500 page that shows nothing of the
// error, which goes to Config.Logger.
//
// Pages read what they show in a fixed number of statements, whatever the
// number of objects: the flag list is filtered, sorted and cut by the
// database (waffle.Store.ListFlagPage), and a flag's users are shown a page at
// a time (waffle.Store.FlagUsers), as are a group's members
// (waffle.Store.GroupMemberPage). docs/admin.md has the pages, the costs and
// the security model in full.
package waffleadmin
