package waffle

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Paging with the cursor returns every entry that existed when paging
// began exactly once, newest first, while writers add new ones.
func TestHistoryPaginationWhileWriting(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		ctx := context.Background()
		const n = 230
		for i := range n {
			require.NoError(t, s.Set(ctx, fmt.Sprintf("k%03d", i), "v"))
		}
		first, err := s.History(ctx, HistoryFilter{Limit: 1})
		require.NoError(t, err)
		newest := first[0].ID

		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				_ = s.Set(ctx, fmt.Sprintf("w%d", i%20), fmt.Sprint(i))
			}
		}()
		seen := map[int64]bool{}
		cursor := newest + 1
		for {
			page, err := s.History(ctx, HistoryFilter{Kind: "string_flag", Limit: 17, Before: cursor})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			for i, e := range page {
				require.False(t, seen[e.ID], "entry %d twice", e.ID)
				require.LessOrEqual(t, e.ID, newest, "a new entry on a later page")
				if i > 0 {
					require.Less(t, e.ID, page[i-1].ID, "newest first")
				}
				seen[e.ID] = true
			}
			cursor = page[len(page)-1].ID
		}
		stop.Store(true)
		wg.Wait()
		require.Len(t, seen, n)
	})
}

// Each filter keeps its entries, alone and together; Since is inclusive,
// Until exclusive; PruneHistory deletes the entries before its time.
func TestHistoryFiltersAndPrune(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		bg := context.Background()
		alice, bob := WithActor(bg, "alice"), WithActor(bg, "bob")
		at := func(m int) time.Time { return windowT0.Add(time.Duration(m) * time.Minute) }
		clock.Set(at(0))
		require.NoError(t, s.SetSwitch(alice, "a", true))
		clock.Set(at(1))
		require.NoError(t, s.SetSample(bob, "a", 5))
		clock.Set(at(2))
		require.NoError(t, s.SetSwitch(bob, "b", true))
		clock.Set(at(3))
		require.NoError(t, s.SetSwitch(alice, "a", false))

		names := func(f HistoryFilter) []string {
			t.Helper()
			page, err := s.History(bg, f)
			require.NoError(t, err)
			out := []string{}
			for _, e := range page {
				out = append(out, e.Kind+":"+e.Name+":"+e.Actor)
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    HistoryFilter
			want []string
		}{
			{"all", HistoryFilter{}, []string{"switch:a:alice", "switch:b:bob", "sample:a:bob", "switch:a:alice"}},
			{"name", HistoryFilter{Name: "a"}, []string{"switch:a:alice", "sample:a:bob", "switch:a:alice"}},
			{"name and kind", HistoryFilter{Name: "a", Kind: "sample"}, []string{"sample:a:bob"}},
			{"actor", HistoryFilter{Actor: "bob"}, []string{"switch:b:bob", "sample:a:bob"}},
			{"actor and name", HistoryFilter{Actor: "alice", Name: "a"}, []string{"switch:a:alice", "switch:a:alice"}},
			{"kind", HistoryFilter{Kind: "switch"}, []string{"switch:a:alice", "switch:b:bob", "switch:a:alice"}},
			{"since", HistoryFilter{Since: at(2)}, []string{"switch:a:alice", "switch:b:bob"}},
			{"until", HistoryFilter{Until: at(1)}, []string{"switch:a:alice"}},
			{"range", HistoryFilter{Since: at(1), Until: at(3)}, []string{"switch:b:bob", "sample:a:bob"}},
			{"range and actor", HistoryFilter{Since: at(1), Until: at(3), Actor: "alice"}, []string{}},
			{"limit", HistoryFilter{Limit: 1}, []string{"switch:a:alice"}},
			{"no actor", HistoryFilter{Actor: "carol"}, []string{}},
		} {
			require.Equal(t, c.want, names(c.f), c.name)
		}

		for _, bad := range []HistoryFilter{{Limit: -1}, {Limit: MaxHistoryLimit + 1}, {Before: -1}} {
			_, err := s.History(bg, bad)
			require.ErrorIs(t, err, ErrInvalidValue, "%+v", bad)
		}

		n, err := s.PruneHistory(bg, at(2))
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		require.Equal(t, []string{"switch:a:alice", "switch:b:bob"}, names(HistoryFilter{}))
		n, err = s.PruneHistory(bg, at(2))
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

// A name's entries spread over many ids (on SQLite, over the buckets of
// 65,536 ids its name index leads with): every page of the name, with any
// limit and cursor and other filters, holds exactly its entries newest
// first, across buckets, empty ones included.
func TestHistoryNameAcrossBuckets(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		ctx := context.Background()
		type row struct {
			id                int64
			name, kind, actor string
		}
		rows := []row{
			{3, "n", "switch", "a"}, {4, "m", "switch", "a"}, {65535, "n", "sample", "b"},
			{65536, "n", "switch", "a"}, {65537, "m", "switch", "a"}, {65538, "n", "switch", "b"},
			{131071, "n", "sample", "a"}, {300000, "m", "switch", "a"}, {300001, "n", "switch", "a"},
			{1 << 20, "n", "sample", "b"}, {1<<20 + 1, "m", "sample", "b"},
		}
		for _, r := range rows {
			_, err := s.pool().ExecContext(ctx, fmt.Sprintf(`INSERT INTO waffle_audit (id, at, actor, action, kind, name, before, after)
				VALUES (%d, '2026-01-01 00:00:00.000000+00:00', '%s', 'update', '%s', '%s', NULL, '{}')`, r.id, r.actor, r.kind, r.name))
			require.NoError(t, err)
		}
		want := func(f HistoryFilter) []int64 {
			out := []int64{}
			for i := len(rows) - 1; i >= 0; i-- {
				r := rows[i]
				if r.name == f.Name && (f.Kind == "" || r.kind == f.Kind) && (f.Actor == "" || r.actor == f.Actor) &&
					(f.Before == 0 || r.id < f.Before) {
					out = append(out, r.id)
				}
			}
			return out
		}
		for _, f := range []HistoryFilter{
			{Name: "n"}, {Name: "m"}, {Name: "n", Kind: "sample"}, {Name: "n", Actor: "b"},
			{Name: "n", Before: 65538}, {Name: "n", Before: 65536}, {Name: "n", Before: 4}, {Name: "n", Before: 3},
			{Name: "n", Before: 1 << 40}, {Name: "none"},
		} {
			for _, limit := range []int{1, 2, 3, 100} {
				got := []int64{}
				page := f
				page.Limit = limit
				for {
					entries, err := s.History(ctx, page)
					require.NoError(t, err)
					require.LessOrEqual(t, len(entries), limit)
					for _, e := range entries {
						got = append(got, e.ID)
						require.Equal(t, f.Name, e.Name)
					}
					if len(entries) < limit {
						break
					}
					page.Before = entries[len(entries)-1].ID
				}
				require.Equal(t, want(f), got, "%+v, limit %d", f, limit)
			}
		}
	})
}
