package waffle

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/djangotest"
)

// In Django mode a key of no auth_user, on a flag or in a group, is a
// *ValueError naming it (SaveFlag, AddFlagUsers, AddGroupMembers, Ensure),
// and nothing is written.
func TestDjangoUsersExist(t *testing.T) {
	t.Parallel()
	eachDjangoDB(t, djangotest.Options{}, nil, func(t *testing.T, h *djangoHarness) {
		ctx := context.Background()
		h.django.Run(t, "write", map[string]any{"users": []map[string]any{{"id": "4"}}, "groups": []string{"g"}}, nil)
		s := h.s
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "f", Users: []string{"4"}}))
		for _, err := range []error{
			s.SaveFlag(ctx, &Flag{Name: "f", Users: []string{"4", "999"}, Note: "changed"}),
			s.SaveFlag(ctx, &Flag{Name: "new", Users: []string{"999"}}),
			s.AddFlagUsers(ctx, "f", "4", "999"),
			s.AddGroupMembers(ctx, "g", "999", "4"),
			func() error {
				_, err := s.Ensure(ctx, Seed{Flags: []Flag{{Name: "seeded", Users: []string{"4"}}, {Name: "seeded2", Users: []string{"999"}}},
					Switches: []Switch{{Name: "seeded-switch"}}})
				return err
			}(),
		} {
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, "users", ve.Field)
			require.Contains(t, err.Error(), `"999"`)
		}
		r := h.read(t)
		require.Len(t, r.Flags, 1)
		require.Equal(t, []string{"4"}, r.Flags[0].Users)
		require.Empty(t, r.Flags[0].Note)
		require.Empty(t, r.group("g"))
		require.Empty(t, r.Switches, "Ensure wrote nothing")
	})
}
