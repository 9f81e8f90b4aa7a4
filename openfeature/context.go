package openfeature

import (
	"context"
	"fmt"
	"strings"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/gowaffle/waffle"
)

// Evaluation context attributes the provider reads; any other is ignored.
const (
	AttrGroups        = "groups"        // []string (or []any of strings): waffle.User.Groups
	AttrStaff         = "staff"         // bool: waffle.User.Staff
	AttrSuperuser     = "superuser"     // bool: waffle.User.Superuser
	AttrAuthenticated = "authenticated" // bool: waffle.User.Authenticated
	AttrLanguage      = "language"      // string: waffle.WithLanguage
)

// withEvaluationContext returns ctx carrying the user and language of flat.
// An attribute of the wrong type is an error (INVALID_CONTEXT).
func withEvaluationContext(ctx context.Context, flat of.FlattenedContext) (context.Context, error) {
	if len(flat) == 0 {
		return ctx, nil
	}
	var u waffle.User
	hasUser := false
	if v, ok := flat[of.TargetingKey]; ok {
		id, ok := v.(string)
		if !ok {
			return ctx, fmt.Errorf("%s must be a string, got %T", of.TargetingKey, v)
		}
		u.ID, hasUser = id, hasUser || id != ""
	}
	for _, b := range []struct {
		attr string
		dst  *bool
	}{
		{AttrStaff, &u.Staff}, {AttrSuperuser, &u.Superuser}, {AttrAuthenticated, &u.Authenticated},
	} {
		v, ok := flat[b.attr]
		if !ok {
			continue
		}
		x, ok := v.(bool)
		if !ok {
			return ctx, fmt.Errorf("attribute %q must be a bool, got %T", b.attr, v)
		}
		*b.dst, hasUser = x, true
	}
	if v, ok := flat[AttrGroups]; ok {
		groups, err := stringList(v)
		if err != nil {
			return ctx, err
		}
		u.Groups, hasUser = groups, true
	}
	if hasUser {
		ctx = waffle.WithUser(ctx, u)
	}
	if v, ok := flat[AttrLanguage]; ok {
		lang, ok := v.(string)
		if !ok {
			return ctx, fmt.Errorf("attribute %q must be a string, got %T", AttrLanguage, v)
		}
		ctx = waffle.WithLanguage(ctx, strings.TrimSpace(lang))
	}
	return ctx, nil
}

// stringList reads the groups attribute: a []string, or a []any of strings.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("attribute %q: element %d must be a string, got %T", AttrGroups, i, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("attribute %q must be a list of strings, got %T", AttrGroups, v)
}
