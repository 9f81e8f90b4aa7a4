package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/gowaffle/waffle"
)

// flags shows flags: on for some requests, decided per evaluation from the
// flag's rules and from who the request is for.
func flags(ctx context.Context, t *tour) error {
	store := t.store
	percent := 10.0
	if err := store.SaveFlag(ctx, &waffle.Flag{
		Name:      "new-checkout",
		Percent:   &percent,
		Staff:     true,
		Users:     []string{"42"},
		Groups:    []string{"beta-testers"},
		Languages: []string{"de"},
	}); err != nil {
		return err
	}
	if err := store.AddGroupMembers(ctx, "beta-testers", "7"); err != nil {
		return err
	}
	t.println(`SaveFlag("new-checkout"): 10% of users, staff, user "42", the group "beta-testers" (user "7"), requests in German.`)

	subjects := []struct {
		who string
		ctx context.Context
	}{
		{`user "42" (listed)`, waffle.WithUser(ctx, waffle.User{ID: "42"})},
		{`user "7" (in beta-testers)`, waffle.WithUser(ctx, waffle.User{ID: "7"})},
		{`user "8", staff`, waffle.WithUser(ctx, waffle.User{ID: "8", Staff: true})},
		{`user "9", groups passed in: beta-testers`, waffle.WithUser(ctx, waffle.User{ID: "9", Groups: []string{"beta-testers"}})},
		{`an anonymous request in German`, waffle.WithLanguage(ctx, "de")},
		{`an anonymous request in English (a 10% draw, new at every call without the middleware)`, waffle.WithLanguage(ctx, "en")},
	}
	t.println("FlagIsActive, one SQL statement each:")
	for _, s := range subjects {
		on, err := store.FlagIsActive(s.ctx, "new-checkout")
		if err != nil {
			return err
		}
		t.printf("  %s -> %v\n", s.who, on)
	}

	// Identified users get a deterministic bucket: the same answer every
	// time, and raising the percent only adds users.
	onAt := func(p float64) (map[string]bool, error) {
		if err := store.SaveFlag(ctx, &waffle.Flag{Name: "gradual", Percent: &p}); err != nil {
			return nil, err
		}
		on := map[string]bool{}
		for i := range 1000 {
			id := "user-" + strconv.Itoa(i)
			active, err := store.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: id}), "gradual")
			if err != nil {
				return nil, err
			}
			if active {
				on[id] = true
			}
		}
		return on, nil
	}
	at10, err := onAt(10)
	if err != nil {
		return err
	}
	at20, err := onAt(20)
	if err != nil {
		return err
	}
	kept := 0
	for id := range at10 {
		if at20[id] {
			kept++
		}
	}
	t.printf("The flag \"gradual\" for 1000 users: on for %d at 10%%, %d at 20%%; of the %d, %d are still on.\n",
		len(at10), len(at20), len(at10), kept)

	off := false
	if err := store.SaveFlag(ctx, &waffle.Flag{Name: "new-checkout", Everyone: &off, Users: []string{"42"}}); err != nil {
		return err
	}
	on, err := store.FlagIsActive(waffle.WithUser(ctx, waffle.User{ID: "42"}), "new-checkout")
	if err != nil {
		return err
	}
	t.printf("With Everyone = false the flag is off for everyone, user \"42\" too: %v.\n", on)

	on, err = store.FlagIsActive(ctx, "no-such-flag")
	if err != nil {
		return err
	}
	t.printf("A flag that does not exist reads as Config.FlagDefault: %v.\n", on)

	// Behind store.Middleware an anonymous visitor's percent draw is
	// remembered in django-waffle's dwf_ cookie.
	half := 50.0
	if err := store.SaveFlag(ctx, &waffle.Flag{Name: "banner", Percent: &half}); err != nil {
		return err
	}
	var answer bool
	var evalErr error
	handler := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer, evalErr = store.FlagIsActive(r.Context(), "banner")
	}))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if evalErr != nil {
		return evalErr
	}
	t.printf("An anonymous visitor behind store.Middleware draws \"banner\" (50%%): %v, remembered in a cookie:\n", answer)
	for _, c := range rec.Result().Header.Values("Set-Cookie") {
		nameValue, _, _ := strings.Cut(c, ";")
		t.printf("  Set-Cookie: %s; ... (30 days, Secure)\n", nameValue)
	}
	return nil
}
