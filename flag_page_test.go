package waffle

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFlagUsersPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, c := h.countingStore(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "beta", Groups: []string{"staff"}}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "empty"}))
		var ids []string
		for i := range 250 {
			ids = append(ids, fmt.Sprintf("u%03d", i))
		}
		require.NoError(t, s.AddFlagUsers(ctx, "beta", ids...))

		var got []string
		after := ""
		for {
			c.Reset()
			page, err := s.FlagUsers(ctx, "beta", UserPage{After: after, Limit: 100})
			require.NoError(t, err)
			require.EqualValues(t, 1, c.Count(), "one statement per page")
			require.Equal(t, 250, page.Total)
			got = append(got, page.Users...)
			if !page.More {
				break
			}
			after = page.Users[len(page.Users)-1]
		}
		require.Equal(t, ids, got)

		page, err := s.FlagUsers(ctx, "beta", UserPage{Search: "u24"})
		require.NoError(t, err)
		require.Equal(t, []string{"u240", "u241", "u242", "u243", "u244", "u245", "u246", "u247", "u248", "u249"}, page.Users)
		require.Equal(t, 10, page.Total)
		require.False(t, page.More)

		page, err = s.FlagUsers(ctx, "empty", UserPage{})
		require.NoError(t, err)
		require.Empty(t, page.Users)
		require.Zero(t, page.Total)

		_, err = s.FlagUsers(ctx, "missing", UserPage{})
		var nf *NotFoundError
		require.True(t, errors.As(err, &nf))

		f, err := s.GetFlagRules(ctx, "beta")
		require.NoError(t, err)
		require.Nil(t, f.Users)
		require.Equal(t, []string{"staff"}, f.Groups)
		_, err = s.GetFlagRules(ctx, "missing")
		require.True(t, errors.As(err, &nf))

		c.Reset()
		flags, err := s.ListFlagRules(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, c.Count())
		require.Len(t, flags, 2)
		require.Equal(t, "beta", flags[0].Name)
	})
}
