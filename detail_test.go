package waffle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every reason of a flag, and FlagIsActive answering as FlagDetail does.
func TestFlagDetailReasons(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Override: true, Rand: func() float64 { return 0.3 }})
		created := h.store(t, &Config{CreateMissingFlags: true, FlagDefault: true})
		saveFlag(t, s, Flag{Name: "on", Everyone: ptr(true), Note: "for all"})
		saveFlag(t, s, Flag{Name: "off", Everyone: ptr(false), Users: []string{"u1"}})
		saveFlag(t, s, Flag{Name: "testing", Testing: true})
		saveFlag(t, s, Flag{Name: "rules", Users: []string{"u1"}, Groups: []string{"beta", "alpha"},
			Superusers: true, Staff: true, Authenticated: true, Languages: []string{"fr"}})
		require.NoError(t, s.AddGroupMembers(ctx, "beta", "u2"))
		saveFlag(t, s, Flag{Name: "half", Percent: ptr(50.0)})
		saveFlag(t, s, Flag{Name: "roll", Percent: ptr(20.0), Rollout: true})
		saveFlag(t, s, Flag{Name: "none"})
		saveFlag(t, s, Flag{Name: "windowed"})
		_, err := s.AddWindow(ctx, FlagMember{Flag: "windowed", User: "u5"})
		require.NoError(t, err)
		_, err = s.SyncMembership(ctx, "windowed")
		require.NoError(t, err)

		req := func(target, cookie, header string) context.Context {
			r := httptest.NewRequest(http.MethodGet, target, nil)
			if cookie != "" {
				r.Header.Set("Cookie", cookie)
			}
			if header != "" {
				r.Header.Set(header, "1")
			}
			return withRequestState(ctx, &requestState{req: r})
		}
		user := func(u User) context.Context { return WithUser(ctx, u) }
		bucketUser := "u-bucket" // percentBucket("half", id) < 50 is checked below
		for percentBucket("half", bucketUser) >= 50 {
			bucketUser += "x"
		}

		for _, c := range []struct {
			name    string
			store   *Store
			ctx     context.Context
			flag    string
			active  bool
			reason  Reason
			group   string
			percent float64
		}{
			{"MissingDefault", s, ctx, "nope", false, ReasonMissingDefault, "", 0},
			{"MissingCreated", created, ctx, "fresh", true, ReasonMissingCreated, "", 0},
			{"Override", s, req("/?off=1", "", ""), "off", true, ReasonOverride, "", 0},
			{"EveryoneOn", s, ctx, "on", true, ReasonEveryoneOn, "", 0},
			{"EveryoneOff", s, user(User{ID: "u1"}), "off", false, ReasonEveryoneOff, "", 0},
			{"TestingQuery", s, req("/?dwft_testing=1", "", ""), "testing", true, ReasonTestingQuery, "", 0},
			{"TestingHeader", s, req("/", "", "dwft-testing"), "testing", true, ReasonTestingHeader, "", 0},
			{"TestingCookie", s, req("/", "dwft_testing=False", ""), "testing", false, ReasonTestingCookie, "", 0},
			{"User", s, user(User{ID: "u1", Staff: true}), "rules", true, ReasonUser, "", 0},
			{"GroupStored", s, user(User{ID: "u2", Staff: true}), "rules", true, ReasonGroup, "beta", 0},
			{"GroupByName", s, user(User{Groups: []string{"zeta", "beta", "alpha"}}), "rules", true, ReasonGroup, "alpha", 0},
			{"GroupWindow", s, user(User{ID: "u5"}), "windowed", true, ReasonGroup, "WAFFLE_windowed", 0},
			{"Superuser", s, user(User{ID: "u3", Superuser: true, Staff: true}), "rules", true, ReasonSuperuser, "", 0},
			{"Staff", s, user(User{ID: "u3", Staff: true, Authenticated: true}), "rules", true, ReasonStaff, "", 0},
			{"Authenticated", s, user(User{ID: "u3", Authenticated: true}), "rules", true, ReasonAuthenticated, "", 0},
			{"Language", s, WithLanguage(ctx, "fr"), "rules", true, ReasonLanguage, "", 0},
			{"PercentCookie", s, req("/", "dwf_half=True", ""), "half", true, ReasonPercentCookie, "", 50},
			{"PercentBucket", s, user(User{ID: bucketUser}), "half", true, ReasonPercentBucket, "", 50},
			{"PercentDraw", s, req("/", "", ""), "half", true, ReasonPercentDraw, "", 50},
			{"Rollout", s, req("/", "", ""), "roll", false, ReasonRollout, "", 20},
			{"NoMatch", s, user(User{ID: "u9"}), "none", false, ReasonNoMatch, "", 0},
			{"NoMatchAnonymous", s, ctx, "rules", false, ReasonNoMatch, "", 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := c.store.FlagDetail(c.ctx, c.flag)
				require.NoError(t, err)
				require.Equal(t, c.reason, d.Reason)
				require.Equal(t, c.active, d.Active)
				require.Equal(t, c.group, d.Group)
				require.Equal(t, c.percent, d.Percent)
				require.Equal(t, c.reason.Missing(), d.Missing)
				on, err := c.store.FlagIsActive(c.ctx, c.flag)
				require.NoError(t, err)
				require.Equal(t, d.Active, on, "FlagIsActive answers as FlagDetail")
				// FlagDetailMeta's statement says the same, with the metadata
				// (a flag of its own to create, as the first read created c.flag).
				flag := c.flag
				if c.reason == ReasonMissingCreated {
					flag += "-meta"
				}
				m, err := c.store.FlagDetailMeta(c.ctx, flag)
				require.NoError(t, err)
				require.Equal(t, d, m.FlagDetail, "FlagDetailMeta answers as FlagDetail")
				require.Equal(t, c.reason.Missing(), m.Modified.IsZero(), "modified %v", m.Modified)
				if c.flag != "on" {
					require.Empty(t, m.Note)
				}
			})
		}

		// The memo remembers why: a second read in the request says draw.
		rctx := req("/", "", "")
		first, err := s.FlagDetail(rctx, "half")
		require.NoError(t, err)
		again, err := s.FlagDetail(rctx, "half")
		require.NoError(t, err)
		require.Equal(t, first, again)

		// The flag's note and modified time come with FlagDetailMeta, for
		// every statement: anonymous, a user, a user with group names.
		for _, mctx := range []context.Context{ctx, user(User{ID: "u1"}), user(User{ID: "u2", Groups: []string{"zeta"}})} {
			m, err := s.FlagDetailMeta(mctx, "on")
			require.NoError(t, err)
			require.Equal(t, ReasonEveryoneOn, m.Reason)
			require.Equal(t, "for all", m.Note)
			require.WithinDuration(t, time.Now(), m.Modified, time.Minute)
			require.Equal(t, time.UTC, m.Modified.Location())
		}
		d, err := s.FlagDetail(ctx, "_bad")
		require.ErrorIs(t, err, ErrInvalidName)
		require.Equal(t, ReasonError, d.Reason)
		m, err := s.FlagDetailMeta(ctx, "_bad")
		require.ErrorIs(t, err, ErrInvalidName)
		require.Equal(t, FlagDetailMeta{FlagDetail: FlagDetail{Reason: ReasonError}}, m)
	})
}

// Switches, samples and string flags say found, missing or created.
func TestKindDetails(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		c := h.store(t, &Config{CreateMissingSwitches: true, SwitchDefault: true, CreateMissingSamples: true, SampleDefault: true})
		require.NoError(t, s.SetSwitch(ctx, "sw", true))
		require.NoError(t, s.SetSample(ctx, "all", 100))
		require.NoError(t, s.Set(ctx, "color", "blue"))
		require.NoError(t, s.Set(ctx, "null", nil))

		sw, err := s.SwitchDetail(ctx, "sw")
		require.NoError(t, err)
		require.Equal(t, SwitchDetail{Active: true, Reason: ReasonFound, Modified: sw.Modified}, sw)
		require.False(t, sw.Modified.IsZero())
		sw, err = s.SwitchDetail(ctx, "nosw")
		require.NoError(t, err)
		require.Equal(t, SwitchDetail{Missing: true, Reason: ReasonMissingDefault}, sw)
		sw, err = c.SwitchDetail(ctx, "newsw")
		require.NoError(t, err)
		require.Equal(t, SwitchDetail{Active: true, Missing: true, Reason: ReasonMissingCreated}, sw)
		on, err := s.SwitchIsActive(ctx, "newsw")
		require.NoError(t, err)
		require.True(t, on, "created with SwitchDefault")

		sm, err := s.SampleDetail(ctx, "all")
		require.NoError(t, err)
		require.True(t, sm.Active)
		require.Equal(t, ReasonFound, sm.Reason)
		require.Equal(t, 100.0, sm.Percent)
		sm, err = c.SampleDetail(ctx, "newsample")
		require.NoError(t, err)
		require.Equal(t, SampleDetail{Active: true, Missing: true, Reason: ReasonMissingCreated, Percent: 100}, sm)

		sf, err := s.StringFlagDetail(ctx, "color")
		require.NoError(t, err)
		require.Equal(t, ReasonFound, sf.Reason)
		require.Equal(t, "blue", sf.Value.String())
		require.False(t, sf.Modified.IsZero())
		sf, err = s.StringFlagDetail(ctx, "null")
		require.NoError(t, err)
		require.Equal(t, ReasonMissingDefault, sf.Reason)
		require.True(t, sf.Value.Null())
		sf, err = s.StringFlagDetail(ctx, "nothing")
		require.NoError(t, err)
		require.Equal(t, ReasonMissingDefault, sf.Reason)
		require.True(t, sf.Value.Missing())

		// A database error is ReasonError on every kind.
		_, err = s.FlagDetail(cancelled(), "x")
		require.Error(t, err)
		swd, err := s.SwitchDetail(cancelled(), "sw")
		require.Error(t, err)
		require.Equal(t, ReasonError, swd.Reason)
		smd, err := s.SampleDetail(cancelled(), "all")
		require.Error(t, err)
		require.Equal(t, ReasonError, smd.Reason)
		sfd, err := s.StringFlagDetail(cancelled(), "color")
		require.Error(t, err)
		require.Equal(t, ReasonError, sfd.Reason)
	})
}
