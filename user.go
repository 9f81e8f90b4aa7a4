package waffle

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"
)

// User is the subject of a flag evaluation: who the request is for. The
// application builds it from its own session and puts it in the context with
// [WithUser]. Every field is the application's own: the library stores
// nothing about users but the IDs listed on flags and groups.
type User struct {
	// ID is the application's user ID, an opaque string; "" for an anonymous
	// visitor. It is matched against a flag's Users and stored group
	// members, and it seeds the user's deterministic percent bucket.
	ID string

	// Authenticated, Staff and Superuser switch on flags with the
	// Authenticated, Staff and Superusers rules.
	Authenticated bool
	Staff         bool
	Superuser     bool

	// Groups are extra group names the application knows the user is in
	// (its own roles, say). They count like stored memberships: a flag
	// listing one of them is on.
	Groups []string
}

type userKey struct{}

type languageKey struct{}

// WithUser returns a copy of ctx that carries u as the subject of flag
// evaluations.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, &u)
}

// UserFrom returns the user [WithUser] put in ctx, and whether there is one.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	if !ok {
		return User{}, false
	}
	return *u, true
}

// userFrom returns the user in ctx without copying it, or nil.
func userFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

// WithLanguage returns a copy of ctx that carries the request's language
// code ("en", "de-at"), matched exactly against a flag's Languages.
func WithLanguage(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, languageKey{}, lang)
}

// LanguageFrom returns the language [WithLanguage] put in ctx, or "".
func LanguageFrom(ctx context.Context) string {
	lang, _ := ctx.Value(languageKey{}).(string)
	return lang
}

// MaxUserIDLength is the longest user ID, in Unicode code points.
const MaxUserIDLength = 255

// validateUserID checks a user ID the library stores: 1 to 255 code points
// of valid UTF-8 and no control characters. IDs are otherwise opaque: a
// leading "_" is fine.
func validateUserID(kind, name, id string) error {
	reason := ""
	switch {
	case id == "":
		reason = "must not be empty"
	case !utf8.ValidString(id):
		reason = "must be valid UTF-8"
	case utf8.RuneCountInString(id) > MaxUserIDLength:
		reason = "must be at most 255 characters"
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		reason = "must not contain control characters"
	}
	if reason == "" {
		return nil
	}
	field := "user ID"
	if kind == "user" {
		field = "ID"
	}
	return &ValueError{Kind: kind, Name: name, Field: field, Reason: quoteTrunc(id) + " " + reason}
}
