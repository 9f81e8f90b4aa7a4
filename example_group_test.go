package waffle_test

import (
	"context"
	"fmt"
)

func ExampleStore_AddGroupMembers() {
	ctx := context.Background()
	store, done := exampleStore(nil)
	defer done()

	_ = store.AddGroupMembers(ctx, "beta-testers", "7", "8") // creates the group
	_ = store.AddGroupMembers(ctx, "support", "7")
	members, _ := store.GroupMembers(ctx, "beta-testers")
	groups, _ := store.UserGroups(ctx, "7")
	fmt.Println(members, groups)
	fmt.Println(store.CreateGroup(ctx, "WAFFLE_beta"))
	// Output:
	// [7 8] [beta-testers support]
	// waffle: invalid group name "WAFFLE_beta": the "WAFFLE_" prefix is reserved for the groups SyncMembership keeps
}
