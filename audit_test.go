package waffle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/testdb"
)

// wantEntry is an expected audit entry: before and after as JSON, "" for
// none.
type wantEntry struct {
	action, kind, name, before, after string
}

// entriesSince returns the entries with an ID above *last, oldest first,
// and moves *last to the newest.
func entriesSince(t *testing.T, s *Store, last *int64) []HistoryEntry {
	t.Helper()
	page, err := s.History(context.Background(), HistoryFilter{Limit: MaxHistoryLimit})
	require.NoError(t, err)
	var out []HistoryEntry
	for i := len(page) - 1; i >= 0; i-- {
		if page[i].ID > *last {
			out = append(out, page[i])
		}
	}
	if len(page) > 0 && page[0].ID > *last {
		*last = page[0].ID
	}
	return out
}

func requireEntries(t *testing.T, step string, want []wantEntry, got []HistoryEntry, actor string, at time.Time) {
	t.Helper()
	require.Len(t, got, len(want), "%s: %s", step, entriesText(got))
	for i, w := range want {
		g := got[i]
		require.Equal(t, []string{w.action, w.kind, w.name}, []string{g.Action, g.Kind, g.Name}, "%s: entry %d", step, i)
		require.Equal(t, actor, g.Actor, step)
		require.True(t, at.Equal(g.At), "%s: at %v, want %v", step, g.At, at)
		for _, side := range []struct {
			label, want string
			got         json.RawMessage
		}{{"before", w.before, g.Before}, {"after", w.after, g.After}} {
			if side.want == "" {
				require.Nil(t, side.got, "%s: entry %d %s", step, i, side.label)
				continue
			}
			require.JSONEq(t, side.want, string(side.got), "%s: entry %d %s", step, i, side.label)
		}
	}
}

func entriesText(es []HistoryEntry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %d %s %s %q %s -> %s", e.ID, e.Action, e.Kind, e.Name, e.Before, e.After)
	}
	return b.String()
}

const emptyFlag = `{"everyone":null,"percent":null,"testing":false,"superusers":false,"staff":false,` +
	`"authenticated":false,"languages":"","rollout":false,"note":"","users":[],"groups":[]}`

// Every kind of change writes exactly its entry: the action, the fields
// that changed (the whole object for a create or a delete), the actor and
// the configured clock's time; a change that changes nothing writes none.
func TestAuditEntryPerChange(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s, clock := clockStore(t, h)
		ctx := WithActor(context.Background(), "alice")
		var win FlagMember
		winJSON := func(m FlagMember) string {
			b, err := json.Marshal(windowState(m))
			require.NoError(t, err)
			return string(b)
		}
		pct := 12.5
		yes := true
		steps := []struct {
			name string
			call func() error
			want []wantEntry
		}{
			{"SetSwitch creates", func() error { return s.SetSwitch(ctx, "sw", true) },
				[]wantEntry{{"create", "switch", "sw", "", `{"active":true,"note":""}`}}},
			{"SetSwitch same", func() error { return s.SetSwitch(ctx, "sw", true) }, nil},
			{"SetSwitch off", func() error { return s.SetSwitch(ctx, "sw", false) },
				[]wantEntry{{"update", "switch", "sw", `{"active":true}`, `{"active":false}`}}},
			{"Save switch note", func() error { return Save(ctx, s, &Switch{Name: "sw", Note: "why"}) },
				[]wantEntry{{"update", "switch", "sw", `{"note":""}`, `{"note":"why"}`}}},
			{"DeleteSwitch", func() error { return s.DeleteSwitch(ctx, "sw") },
				[]wantEntry{{"delete", "switch", "sw", `{"active":false,"note":"why"}`, ""}}},
			{"SetSample creates", func() error { return s.SetSample(ctx, "sm", 50) },
				[]wantEntry{{"create", "sample", "sm", "", `{"percent":50,"note":""}`}}},
			{"SetSample same", func() error { return s.SetSample(ctx, "sm", 50) }, nil},
			{"SetSample", func() error { return s.SetSample(ctx, "sm", 12.5) },
				[]wantEntry{{"update", "sample", "sm", `{"percent":50}`, `{"percent":12.5}`}}},
			{"DeleteSample", func() error { return s.DeleteSample(ctx, "sm") },
				[]wantEntry{{"delete", "sample", "sm", `{"percent":12.5,"note":""}`, ""}}},
			{"Set creates", func() error { return s.Set(ctx, "color", "blue") },
				[]wantEntry{{"create", "string_flag", "color", "", `{"value":"blue"}`}}},
			{"Set same", func() error { return s.Set(ctx, "color", "blue") }, nil},
			{"Set null", func() error { return s.Set(ctx, "color", nil) },
				[]wantEntry{{"update", "string_flag", "color", `{"value":"blue"}`, `{"value":null}`}}},
			{"Set null again", func() error { return s.Set(ctx, "color", nil) }, nil},
			{"DeleteStringFlag", func() error { return s.DeleteStringFlag(ctx, "color") },
				[]wantEntry{{"delete", "string_flag", "color", `{"value":null}`, ""}}},
			{"SetFromJSON creates", func() error { return s.SetFromJSON(ctx, []byte(`{"b":"1","a":true}`)) },
				[]wantEntry{
					{"create", "string_flag", "b", "", `{"value":"1"}`},
					{"create", "string_flag", "a", "", `{"value":"True"}`}}},
			{"SetFromJSON same", func() error { return s.SetFromJSON(ctx, []byte(`{"a":true,"b":"1"}`)) }, nil},
			{"SetFromJSON one changed", func() error { return s.SetFromJSON(ctx, []byte(`{"a":true,"b":null}`)) },
				[]wantEntry{{"update", "string_flag", "b", `{"value":"1"}`, `{"value":null}`}}},
			{"SaveFlag creates", func() error { return s.SaveFlag(ctx, &Flag{Name: "f"}) },
				[]wantEntry{{"create", "flag", "f", "", emptyFlag}}},
			{"SaveFlag same", func() error { return s.SaveFlag(ctx, &Flag{Name: "f"}) }, nil},
			{"SaveFlag fields", func() error {
				return s.SaveFlag(ctx, &Flag{Name: "f", Percent: &pct, Everyone: &yes, Users: []string{"u2", "u1"}, Languages: LanguageList{"en", "fr"}})
			}, []wantEntry{{"update", "flag", "f",
				`{"percent":null,"everyone":null,"users":[],"languages":""}`,
				`{"percent":12.5,"everyone":true,"users":["u1","u2"],"languages":"en,fr"}`}}},
			{"AddFlagUsers", func() error { return s.AddFlagUsers(ctx, "f", "u1", "u3", "u3") },
				[]wantEntry{{"update", "flag", "f", `{"users":[]}`, `{"users":["u3"]}`}}},
			{"AddFlagUsers listed", func() error { return s.AddFlagUsers(ctx, "f", "u1") }, nil},
			{"RemoveFlagUsers", func() error { return s.RemoveFlagUsers(ctx, "f", "u1", "nobody") },
				[]wantEntry{{"update", "flag", "f", `{"users":["u1"]}`, `{"users":[]}`}}},
			{"AddFlagGroups creates the group", func() error { return s.AddFlagGroups(ctx, "f", "staff") },
				[]wantEntry{
					{"create", "group", "staff", "", `{"members":[]}`},
					{"update", "flag", "f", `{"groups":[]}`, `{"groups":["staff"]}`}}},
			{"RemoveFlagGroups", func() error { return s.RemoveFlagGroups(ctx, "f", "staff") },
				[]wantEntry{{"update", "flag", "f", `{"groups":["staff"]}`, `{"groups":[]}`}}},
			{"CreateGroup", func() error { return s.CreateGroup(ctx, "g") },
				[]wantEntry{{"create", "group", "g", "", `{"members":[]}`}}},
			{"CreateGroup exists", func() error { return s.CreateGroup(ctx, "g") }, nil},
			{"AddGroupMembers", func() error { return s.AddGroupMembers(ctx, "g", "x", "y") },
				[]wantEntry{{"update", "group", "g", `{"members":[]}`, `{"members":["x","y"]}`}}},
			{"AddGroupMembers creates", func() error { return s.AddGroupMembers(ctx, "h", "x") },
				[]wantEntry{{"create", "group", "h", "", `{"members":["x"]}`}}},
			{"AddGroupMembers members", func() error { return s.AddGroupMembers(ctx, "g", "x") }, nil},
			{"RemoveGroupMembers", func() error { return s.RemoveGroupMembers(ctx, "g", "x", "z") },
				[]wantEntry{{"update", "group", "g", `{"members":["x"]}`, `{"members":[]}`}}},
			{"DeleteGroup", func() error { return s.DeleteGroup(ctx, "g") },
				[]wantEntry{{"delete", "group", "g", `{"members":["y"]}`, ""}}},
			{"AddWindow", func() error {
				var err error
				win, err = s.AddWindow(ctx, FlagMember{Flag: "f", User: "ann", Start: windowT0.Add(-time.Hour)})
				return err
			}, nil}, // checked below: the ID is known after the call
			{"SyncMembership", func() error { _, err := s.SyncMembership(ctx, "f"); return err },
				[]wantEntry{{"sync", "flag", "f", "", `{"active":1,"added":1,"removed":0}`}}},
			{"SyncMembership nothing", func() error { _, err := s.SyncMembership(ctx, "f"); return err }, nil},
			{"DeleteWindow", func() error { return s.DeleteWindow(ctx, win.ID) }, nil},
			{"SyncUserMembership", func() error { _, err := s.SyncUserMembership(ctx, "f", "ann"); return err },
				[]wantEntry{{"sync", "flag", "f", "", `{"user":"ann","added":0,"removed":1}`}}},
			{"SyncUserMembership nothing", func() error { _, err := s.SyncUserMembership(ctx, "f", "ann"); return err }, nil},
		}
		var last int64
		for i, st := range steps {
			at := windowT0.Add(time.Duration(i+1) * time.Minute)
			clock.Set(at)
			require.NoError(t, st.call(), st.name)
			got := entriesSince(t, s, &last)
			want := st.want
			switch st.name {
			case "AddWindow":
				want = []wantEntry{{"create", "window", "f", "", winJSON(win)}}
			case "DeleteWindow":
				want = []wantEntry{{"delete", "window", "f", winJSON(win), ""}}
			}
			requireEntries(t, st.name, want, got, "alice", at)
		}

		// A window updated: only its changed fields; then the flag deleted,
		// whole, and its entries stay.
		clock.Set(windowT0.Add(time.Hour))
		w, err := s.AddWindow(context.Background(), FlagMember{Flag: "f", User: "bob", Start: windowT0})
		require.NoError(t, err)
		got := entriesSince(t, s, &last)
		requireEntries(t, "AddWindow without actor", []wantEntry{{"create", "window", "f", "", winJSON(w)}}, got, "", windowT0.Add(time.Hour))
		w.Note = "extended"
		_, err = s.UpdateWindow(ctx, w)
		require.NoError(t, err)
		requireEntries(t, "UpdateWindow", []wantEntry{{"update", "window", "f", `{"note":""}`, `{"note":"extended"}`}},
			entriesSince(t, s, &last), "alice", windowT0.Add(time.Hour))
		_, err = s.UpdateWindow(ctx, w)
		require.NoError(t, err)
		require.Empty(t, entriesSince(t, s, &last), "UpdateWindow same")
		require.NoError(t, s.DeleteFlag(ctx, "f"))
		got = entriesSince(t, s, &last)
		require.Len(t, got, 1)
		require.Equal(t, "delete", got[0].Action)
		require.JSONEq(t, `{"everyone":true,"percent":12.5,"testing":false,"superusers":false,"staff":false,`+
			`"authenticated":false,"languages":"en,fr","rollout":false,"note":"","users":["u2","u3"],"groups":["WAFFLE_f"]}`,
			string(got[0].Before))
		all, err := s.History(ctx, HistoryFilter{Name: "f", Kind: "flag"})
		require.NoError(t, err)
		require.Len(t, all, 9, "the deleted flag's entries stay: %s", entriesText(all))
	})
}

// A change that fails, or rolls back with the application's transaction,
// leaves no entry; one that commits with it leaves its entry.
func TestAuditFailedOrRolledBackChangeWritesNone(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		ctx := WithActor(context.Background(), "bob")
		require.NoError(t, s.SetSwitch(ctx, "sw", true))
		var last int64
		entriesSince(t, s, &last)

		failing := []struct {
			name string
			call func() error
		}{
			{"SetSample out of range", func() error { return s.SetSample(ctx, "sm", 101) }},
			{"DeleteSwitch missing", func() error { return s.DeleteSwitch(ctx, "none") }},
			{"DeleteFlag missing", func() error { return s.DeleteFlag(ctx, "none") }},
			{"AddFlagUsers missing flag", func() error { return s.AddFlagUsers(ctx, "none", "u") }},
			{"AddWindow missing flag", func() error { _, err := s.AddWindow(ctx, FlagMember{Flag: "none", User: "u"}); return err }},
			{"SetFromJSON invalid key", func() error { return s.SetFromJSON(ctx, []byte(`{"ok":"1","_bad":"2"}`)) }},
			{"SetSwitch cancelled", func() error { return s.SetSwitch(cancelled(), "sw", false) }},
			{"SetFromJSON cancelled", func() error { return s.SetFromJSON(cancelled(), []byte(`{"ok":"1"}`)) }},
		}
		for _, c := range failing {
			require.Error(t, c.call(), c.name)
			require.Empty(t, entriesSince(t, s, &last), c.name)
		}
		v, err := s.Get(ctx, "ok")
		require.NoError(t, err)
		require.False(t, v.Found(), "SetFromJSON with an invalid key wrote no value")

		// WithTx: rolled back, no entry and no change; committed, both.
		for _, commit := range []bool{false, true} {
			err := s.db.Transaction(func(tx *gorm.DB) error {
				in := s.WithTx(tx)
				require.NoError(t, in.SetSwitch(ctx, "sw", false))
				require.NoError(t, in.SetFromJSON(ctx, []byte(`{"k":"v"}`)))
				require.NoError(t, in.SaveFlag(ctx, &Flag{Name: "f"}))
				if !commit {
					return errors.New("roll back")
				}
				return nil
			})
			got := entriesSince(t, s, &last)
			on, rerr := s.SwitchIsActive(ctx, "sw")
			require.NoError(t, rerr)
			if !commit {
				require.Error(t, err)
				require.Empty(t, got, "rolled back")
				require.True(t, on, "rolled back")
				continue
			}
			require.NoError(t, err)
			require.Len(t, got, 3, entriesText(got))
			require.False(t, on)
		}
	})
}

// 16 goroutines flipping one switch: one entry per effective change, in
// commit order (each entry's before is the previous one's after), and the
// newest entry is the switch's state.
func TestAuditConcurrentChangesInCommitOrder(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		ctx := context.Background()
		require.NoError(t, s.SetSwitch(ctx, "sw", false))
		var wg sync.WaitGroup
		errs := make(chan error, 16*20)
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 1))
				for range 20 {
					errs <- s.SetSwitch(WithActor(ctx, "g"+strconv.Itoa(g)), "sw", r.IntN(2) == 0)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		page, err := s.History(ctx, HistoryFilter{Name: "sw", Limit: MaxHistoryLimit})
		require.NoError(t, err)
		require.Greater(t, len(page), 2, "some of 320 random writes changed the switch")
		on, err := s.SwitchIsActive(ctx, "sw")
		require.NoError(t, err)
		require.JSONEq(t, fmt.Sprintf(`{"active":%t}`, on), string(page[0].After), "the newest entry is the state")
		for i := 0; i+1 < len(page); i++ {
			newer, older := page[i], page[i+1]
			require.Less(t, older.ID, newer.ID)
			require.NotEqual(t, string(newer.Before), string(newer.After), "entry %d changes nothing", newer.ID)
			olderAfter := older.After
			if older.Action == "create" {
				olderAfter = json.RawMessage(`{"active":false}`)
			}
			require.JSONEq(t, string(olderAfter), string(newer.Before), "entry %d follows entry %d", newer.ID, older.ID)
		}
		require.Equal(t, "create", page[len(page)-1].Action)
	})
}

// SetFromJSON and Set racing on the same keys, new ones included: each
// key's entries form one chain (each before is the previous after, the
// first is its creation) that ends at the key's value.
func TestAuditConcurrentSetFromJSONAndSet(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		ctx := context.Background()
		keys := []string{"k0", "k1", "k2", "k3"}
		var wg sync.WaitGroup
		errs := make(chan error, 8*15)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 2))
				for range 15 {
					k, v := keys[r.IntN(len(keys))], strconv.Itoa(r.IntN(3))
					if g%2 == 0 {
						errs <- s.Set(ctx, k, v)
						continue
					}
					errs <- s.SetFromJSON(ctx, []byte(`{"`+k+`":"`+v+`","k3":"`+v+`"}`))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for _, k := range keys {
			page, err := s.History(ctx, HistoryFilter{Name: k, Limit: MaxHistoryLimit})
			require.NoError(t, err)
			require.NotEmpty(t, page, k)
			v, err := s.Get(ctx, k)
			require.NoError(t, err)
			require.JSONEq(t, `{"value":"`+v.String()+`"}`, string(page[0].After), "%s: the newest entry is the value", k)
			require.Equal(t, "create", page[len(page)-1].Action, "%s: %s", k, entriesText(page))
			for i := 0; i+1 < len(page); i++ {
				require.Equal(t, "update", page[i].Action, "%s: %s", k, entriesText(page))
				require.JSONEq(t, string(page[i+1].After), string(page[i].Before), "%s: %s", k, entriesText(page))
			}
		}
	})
}

// Values and names are stored exactly: unicode, 255-rune names, long text.
func TestAuditStoresValuesExactly(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, nil)
		ctx := WithActor(context.Background(), "zoë \xff\x00")
		name := strings.Repeat("é", 255)
		value := "日本語 \"quoted\" \\ \t\n\u2028 😀"
		require.NoError(t, s.Set(ctx, name, value))
		blob, err := json.Marshal(map[string]string{"kü": value})
		require.NoError(t, err)
		require.NoError(t, s.SetFromJSON(ctx, blob))
		page, err := s.History(ctx, HistoryFilter{Kind: "string_flag"})
		require.NoError(t, err)
		require.Len(t, page, 2)
		require.Equal(t, "zoë \uFFFD", page[0].Actor)
		require.Equal(t, name, page[1].Name)
		for _, e := range page {
			var after struct{ Value string }
			require.NoError(t, json.Unmarshal(e.After, &after))
			require.Equal(t, value, after.Value, e.Name)
		}
		// An update's before holds the old value as exactly.
		require.NoError(t, s.SetFromJSON(ctx, []byte(`{"kü":null}`)))
		page, err = s.History(ctx, HistoryFilter{Name: "kü", Limit: 1})
		require.NoError(t, err)
		require.Len(t, page, 1)
		require.JSONEq(t, `{"value":null}`, string(page[0].After))
		var before struct{ Value string }
		require.NoError(t, json.Unmarshal(page[0].Before, &before))
		require.Equal(t, value, before.Value)
	})
}

// With auditing off no entry is written, and the writes behave as before.
func TestAuditDisabled(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		s := h.store(t, &Config{DisableAudit: true})
		ctx := WithActor(context.Background(), "carol")
		require.NoError(t, s.SetSwitch(ctx, "sw", true))
		require.NoError(t, s.SetFromJSON(ctx, []byte(`{"a":"1"}`)))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "f", Users: []string{"u"}}))
		require.NoError(t, s.AddGroupMembers(ctx, "g", "u"))
		require.NoError(t, s.DeleteSwitch(ctx, "sw"))
		page, err := s.History(ctx, HistoryFilter{})
		require.NoError(t, err)
		require.Empty(t, page)
	})
}

// With auditing, SetSwitch, SetSample and Set stay one statement: the
// change and its entry (on SQLite through a view's trigger).
func TestAuditSetStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s, counter := h.countingStore(t, nil)
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"SetSwitch", func() error { return s.SetSwitch(ctx, "sw", true) }},
			{"SetSample", func() error { return s.SetSample(ctx, "sm", 5) }},
			{"Set", func() error { return s.Set(ctx, "sf", "x") }},
		} {
			counter.Reset()
			require.NoError(t, c.call(), c.name)
			require.Equal(t, int64(1), counter.Count(), "%s sent %v", c.name, counter.Statements())
		}
	})
}

// Issue 17 defect 5: with a short busy timeout, concurrent Set calls all
// succeed on SQLite, with auditing and without: they wait for the write
// lock as transactions do, instead of failing with "database is locked".
func TestSetRetriesBusySQLite(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, testdb.SQLite)
	h := &harness{db: db}
	h.migrate(t)
	for _, disable := range []bool{true, false} {
		t.Run(fmt.Sprintf("DisableAudit=%t", disable), func(t *testing.T) {
			gdb, err := gorm.Open(sqlite.Open("file:"+db.DSN+"?_busy_timeout=1&_journal_mode=WAL&_foreign_keys=on"), &gorm.Config{})
			require.NoError(t, err)
			sqlDB, err := gdb.DB()
			require.NoError(t, err)
			t.Cleanup(func() { _ = sqlDB.Close() })
			s, err := New(gdb, &Config{DisableAudit: disable})
			require.NoError(t, err)
			var wg sync.WaitGroup
			var failed sync.Map
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 500 {
						if err := s.Set(context.Background(), fmt.Sprintf("k%d", i%50), fmt.Sprintf("%d-%d", g, i)); err != nil {
							failed.Store(err.Error(), true)
						}
					}
				}()
			}
			wg.Wait()
			failed.Range(func(k, _ any) bool { t.Errorf("Set failed: %s", k); return true })
		})
	}
}
