package waffleadmin

import "context"

type actorKey struct{}

// withActor puts the request's actor on its context. It becomes
// waffle.WithActor once the audit trail is merged.
func withActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}
