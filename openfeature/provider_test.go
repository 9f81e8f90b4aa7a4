package openfeature

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// env is one test's database, provider and client.
type env struct {
	db     *testdb.DB
	p      *Provider
	client *of.Client
	store  *waffle.Store // another pool on the same database: another process
}

// setup migrates a new database, registers a provider for it under a domain
// of its own, and returns a client of that domain.
func setup(t *testing.T, db *testdb.DB, gdb *gorm.DB, opts *Options) *env {
	t.Helper()
	other, err := waffle.New(db.Open(t), nil)
	require.NoError(t, err)
	require.NoError(t, other.Migrate(context.Background()))
	if gdb == nil {
		gdb = db.Open(t)
	}
	p, err := New(gdb, opts)
	require.NoError(t, err)
	domain := t.Name()
	require.NoError(t, of.SetNamedProviderAndWait(domain, p))
	t.Cleanup(func() {
		// Replacing the provider shuts it down (and stops its watcher).
		_ = of.SetNamedProviderAndWait(domain, of.NoopProvider{})
		p.Shutdown()
	})
	return &env{db: db, p: p, client: of.NewClient(domain), store: other}
}

func eachDB(t *testing.T, fn func(t *testing.T, db *testdb.DB)) {
	t.Helper()
	testdb.Each(t, fn)
}

// seed writes one of everything the tests evaluate.
func seed(t *testing.T, s *waffle.Store) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Ensure(ctx, waffle.Seed{
		Flags: []waffle.Flag{
			{Name: "on", Everyone: ptr(true), Note: "for everyone"},
			{Name: "off", Everyone: ptr(false)},
			{Name: "rules", Users: []string{"u1"}, Groups: []string{"beta"}, Staff: true, Superusers: true,
				Authenticated: true, Languages: []string{"fr"}, Testing: true},
			{Name: "all", Percent: ptr(100.0)},
			{Name: "none"},
		},
		Switches:    []waffle.Switch{{Name: "sw-on", Active: true, Note: "switch note"}, {Name: "sw-off"}},
		Samples:     []waffle.Sample{{Name: "always", Percent: 100}},
		StringFlags: map[string]any{"color": "blue", "limit": 42, "ratio": 0.25, "cfg": `{"a":[1,2]}`, "bad-json": "{", "yes": "on", "null": nil},
	})
	require.NoError(t, err)
}

func ptr[T any](v T) *T { return &v }

// Every type, and every reason the provider gives, through the real SDK.
func TestEvaluations(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := setup(t, db, nil, nil)
		seed(t, e.store)
		ctx := context.Background()
		user := of.NewEvaluationContext
		none := of.EvaluationContext{}

		for _, c := range []struct {
			name    string
			key     string
			evalCtx of.EvaluationContext
			want    bool
			reason  of.Reason
			waffle  waffle.Reason
		}{
			{"EveryoneOn", "on", none, true, of.StaticReason, waffle.ReasonEveryoneOn},
			{"EveryoneOff", "off", user("u1", nil), false, of.DisabledReason, waffle.ReasonEveryoneOff},
			{"User", "rules", user("u1", nil), true, of.TargetingMatchReason, waffle.ReasonUser},
			{"Group", "rules", user("u2", map[string]any{"groups": []any{"beta"}}), true, of.TargetingMatchReason, waffle.ReasonGroup},
			{"Superuser", "rules", user("u2", map[string]any{"superuser": true}), true, of.TargetingMatchReason, waffle.ReasonSuperuser},
			{"Staff", "rules", user("u2", map[string]any{"staff": true}), true, of.TargetingMatchReason, waffle.ReasonStaff},
			{"Authenticated", "rules", user("u2", map[string]any{"authenticated": true}), true, of.TargetingMatchReason, waffle.ReasonAuthenticated},
			{"Language", "rules", user("", map[string]any{"language": "fr"}), true, of.TargetingMatchReason, waffle.ReasonLanguage},
			{"Bucket", "all", user("u7", nil), true, of.SplitReason, waffle.ReasonPercentBucket},
			{"Draw", "all", none, true, of.SplitReason, waffle.ReasonPercentDraw},
			{"NoMatch", "none", user("u1", nil), false, of.DefaultReason, waffle.ReasonNoMatch},
			{"SwitchOn", "switch:sw-on", none, true, of.StaticReason, waffle.ReasonFound},
			{"SwitchOff", "switch:sw-off", none, false, of.DisabledReason, waffle.ReasonFound},
			{"Sample", "sample:always", none, true, of.SplitReason, waffle.ReasonFound},
			{"StringAsBool", "string:yes", none, true, of.StaticReason, waffle.ReasonFound},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := e.client.BooleanValueDetails(ctx, c.key, !c.want, c.evalCtx)
				require.NoError(t, err)
				require.Equal(t, c.want, d.Value)
				require.Equal(t, c.reason, d.Reason)
				require.Empty(t, d.ErrorCode)
				got, err := d.FlagMetadata.GetString(MetaReason)
				require.NoError(t, err)
				require.Equal(t, string(c.waffle), got)
				if c.waffle == waffle.ReasonGroup {
					g, err := d.FlagMetadata.GetString(MetaGroup)
					require.NoError(t, err)
					require.Equal(t, "beta", g)
				}
			})
		}

		// Flag metadata: note and modified.
		d, err := e.client.BooleanValueDetails(ctx, "on", false, none)
		require.NoError(t, err)
		note, _ := d.FlagMetadata.GetString(MetaNote)
		require.Equal(t, "for everyone", note)
		mod, err := d.FlagMetadata.GetString(MetaModified)
		require.NoError(t, err)
		_, err = time.Parse(time.RFC3339Nano, mod)
		require.NoError(t, err)
		d, err = e.client.BooleanValueDetails(ctx, "switch:sw-on", false, none)
		require.NoError(t, err)
		note, _ = d.FlagMetadata.GetString(MetaNote)
		require.Equal(t, "switch note", note)
		d, err = e.client.BooleanValueDetails(ctx, "sample:always", false, none)
		require.NoError(t, err)
		pct, err := d.FlagMetadata.GetFloat(MetaPercent)
		require.NoError(t, err)
		require.Equal(t, 100.0, pct)

		// The other types resolve string flags.
		s, err := e.client.StringValueDetails(ctx, "color", "red", none)
		require.NoError(t, err)
		require.Equal(t, "blue", s.Value)
		require.Equal(t, of.StaticReason, s.Reason)
		n, err := e.client.IntValueDetails(ctx, "limit", 1, none)
		require.NoError(t, err)
		require.Equal(t, int64(42), n.Value)
		require.Equal(t, of.StaticReason, n.Reason)
		f, err := e.client.FloatValueDetails(ctx, "ratio", 1, none)
		require.NoError(t, err)
		require.Equal(t, 0.25, f.Value)
		o, err := e.client.ObjectValueDetails(ctx, "cfg", nil, none)
		require.NoError(t, err)
		require.Equal(t, map[string]any{"a": []any{1.0, 2.0}}, o.Value)
		s, err = e.client.StringValueDetails(ctx, "string:color", "red", none)
		require.NoError(t, err)
		require.Equal(t, "blue", s.Value, "the prefix is optional for non-boolean types")

		// A NULL string flag: the caller's default, DEFAULT, no error.
		s, err = e.client.StringValueDetails(ctx, "null", "red", none)
		require.NoError(t, err)
		require.Equal(t, "red", s.Value)
		require.Equal(t, of.DefaultReason, s.Reason)
	})
}

// Every error code the provider gives, as the specification defines them.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := setup(t, db, nil, nil)
		seed(t, e.store)
		ctx := context.Background()
		none := of.EvaluationContext{}
		type result struct {
			code   of.ErrorCode
			reason of.Reason
			err    error
		}
		check := func(t *testing.T, got result, want of.ErrorCode) {
			t.Helper()
			require.Error(t, got.err)
			require.Equal(t, want, got.code)
			require.Equal(t, of.ErrorReason, got.reason)
		}
		for _, c := range []struct {
			name string
			eval func() result
			want of.ErrorCode
		}{
			{"MissingFlag", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "nope", true, none)
				require.True(t, d.Value, "the caller's default")
				return result{d.ErrorCode, d.Reason, err}
			}, of.FlagNotFoundCode},
			{"MissingSwitch", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "switch:nope", true, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.FlagNotFoundCode},
			{"MissingSample", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "sample:nope", true, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.FlagNotFoundCode},
			{"MissingStringFlag", func() result {
				d, err := e.client.StringValueDetails(ctx, "nope", "x", none)
				require.Equal(t, "x", d.Value)
				return result{d.ErrorCode, d.Reason, err}
			}, of.FlagNotFoundCode},
			{"InvalidName", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "_bad", false, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.FlagNotFoundCode},
			{"IntOfText", func() result {
				d, err := e.client.IntValueDetails(ctx, "color", 7, none)
				require.Equal(t, int64(7), d.Value)
				return result{d.ErrorCode, d.Reason, err}
			}, of.TypeMismatchCode},
			{"FloatOfText", func() result {
				d, err := e.client.FloatValueDetails(ctx, "color", 7, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.TypeMismatchCode},
			{"BoolOfText", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "string:color", false, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.TypeMismatchCode},
			{"IntOfSwitch", func() result {
				d, err := e.client.IntValueDetails(ctx, "switch:sw-on", 7, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.TypeMismatchCode},
			{"ObjectOfBadJSON", func() result {
				d, err := e.client.ObjectValueDetails(ctx, "bad-json", nil, none)
				return result{d.ErrorCode, d.Reason, err}
			}, of.ParseErrorCode},
			{"StaffNotBool", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "rules", false, of.NewEvaluationContext("u2", map[string]any{"staff": "yes"}))
				return result{d.ErrorCode, d.Reason, err}
			}, of.InvalidContextCode},
			{"GroupsNotStrings", func() result {
				d, err := e.client.BooleanValueDetails(ctx, "rules", false, of.NewEvaluationContext("u2", map[string]any{"groups": []any{1}}))
				return result{d.ErrorCode, d.Reason, err}
			}, of.InvalidContextCode},
		} {
			t.Run(c.name, func(t *testing.T) { check(t, c.eval(), c.want) })
		}

		// GENERAL: the database fails under a ready provider.
		sqlDB, err := e.p.db.DB()
		require.NoError(t, err)
		require.NoError(t, sqlDB.Close())
		d, err := e.client.BooleanValueDetails(ctx, "on", false, none)
		check(t, result{d.ErrorCode, d.Reason, err}, of.GeneralCode)
		s, err := e.client.StringValueDetails(ctx, "color", "", none)
		check(t, result{s.ErrorCode, s.Reason, err}, of.GeneralCode)
	})
}

// No evaluation asks for a targeting key (TARGETING_KEY_MISSING is never
// given): without one the evaluation is for an anonymous visitor, as
// django-waffle treats a request without a user. User rules do not match,
// group names and attributes from the context still do, and a percent flag
// is a draw.
func TestWithoutTargetingKey(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := setup(t, db, nil, nil)
		seed(t, e.store)
		ctx := context.Background()
		for _, c := range []struct {
			name    string
			key     string
			evalCtx of.EvaluationContext
			want    bool
			reason  of.Reason
			waffle  waffle.Reason
		}{
			{"UserRules", "rules", of.EvaluationContext{}, false, of.DefaultReason, waffle.ReasonNoMatch},
			{"EmptyKey", "rules", of.NewEvaluationContext("", nil), false, of.DefaultReason, waffle.ReasonNoMatch},
			{"GroupNames", "rules", of.NewEvaluationContext("", map[string]any{"groups": []string{"beta"}}), true, of.TargetingMatchReason, waffle.ReasonGroup},
			{"Percent", "all", of.EvaluationContext{}, true, of.SplitReason, waffle.ReasonPercentDraw},
			{"PercentEmptyKey", "all", of.NewEvaluationContext("", map[string]any{"language": "de"}), true, of.SplitReason, waffle.ReasonPercentDraw},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := e.client.BooleanValueDetails(ctx, c.key, !c.want, c.evalCtx)
				require.NoError(t, err)
				require.Empty(t, d.ErrorCode)
				require.Equal(t, c.want, d.Value)
				require.Equal(t, c.reason, d.Reason)
				got, err := d.FlagMetadata.GetString(MetaReason)
				require.NoError(t, err)
				require.Equal(t, string(c.waffle), got)
			})
		}
	})
}

// recorder collects a client's events.
type recorder struct {
	mu     sync.Mutex
	events []of.EventDetails
	types  []of.EventType
}

func (r *recorder) on(c *of.Client, types ...of.EventType) {
	for _, typ := range types {
		cb := func(d of.EventDetails) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.events = append(r.events, d)
			r.types = append(r.types, typ)
		}
		c.AddHandler(typ, &cb)
	}
}

// waitFor waits for an event of type typ whose changed keys hold every key.
func (r *recorder) waitFor(t *testing.T, typ of.EventType, keys ...string) of.EventDetails {
	t.Helper()
	var found of.EventDetails
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, d := range r.events {
			if r.types[i] != typ {
				continue
			}
			ok := true
			for _, k := range keys {
				if !contains(d.FlagChanges, k) {
					ok = false
				}
			}
			if ok {
				found = d
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no %s event with %v; got %v", typ, keys, r.snapshot())
	return found
}

func (r *recorder) snapshot() []of.EventType {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]of.EventType(nil), r.types...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events, r.types = nil, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Another store's changes reach the provider as
// PROVIDER_CONFIGURATION_CHANGED with the changed keys.
func TestConfigurationChangedAcrossStores(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := setup(t, db, nil, &Options{Events: true, PollInterval: 20 * time.Millisecond})
		ctx := context.Background()
		var r recorder
		r.on(e.client, of.ProviderConfigChange, of.ProviderReady)
		r.waitFor(t, of.ProviderReady) // handlers added after READY are told at once

		require.NoError(t, e.store.SaveFlag(ctx, &waffle.Flag{Name: "beta", Everyone: ptr(true)}))
		d := r.waitFor(t, of.ProviderConfigChange, "beta")
		require.Equal(t, []string{"beta"}, d.FlagChanges)

		// Two changes committed together are one event (one poll sees both);
		// committed apart, two polls may see them.
		tx := e.db.Open(t).Begin()
		require.NoError(t, tx.Error)
		ts := e.store.WithTx(tx)
		require.NoError(t, ts.SetSwitch(ctx, "maintenance", true))
		require.NoError(t, ts.Set(ctx, "color", "red"))
		require.NoError(t, tx.Commit().Error)
		r.waitFor(t, of.ProviderConfigChange, "switch:maintenance", "color")

		require.NoError(t, e.store.DeleteFlag(ctx, "beta"))
		r.waitFor(t, of.ProviderConfigChange, "beta")

		// And the change is what the next evaluation sees.
		v, err := e.client.StringValue(ctx, "color", "", of.EvaluationContext{})
		require.NoError(t, err)
		require.Equal(t, "red", v)
	})
}

// While the database is unreachable the provider is STALE, then ERROR, and
// evaluations return the caller's default with ERROR and GENERAL; it is
// READY again once the database answers, evaluations resolve, and it reports
// what changed meanwhile.
//
// PostgreSQL: a real outage. The test runs a private server
// (testdb.NewServer) and stops it with pg_ctl (fast mode: connections are
// cut), then starts it again on the same port.
//
// SQLite has no server to stop: the database is a file the process opens,
// and a connection that holds it open keeps reading it through its
// descriptor when the file is removed, renamed or made unreadable, so none
// of those is an outage for the provider's connections. The SQLite case
// therefore stands in for one with a driver that refuses every statement
// while "down" (testdb.OpenHooked), which is what an I/O error on the file
// would give.
func TestDatabaseDownAndBack(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds {
		t.Run(testdb.KindName(kind), func(t *testing.T) {
			t.Parallel()
			var db *testdb.DB
			var gdb *gorm.DB
			var stop, start func()
			if kind == testdb.Postgres {
				srv := testdb.NewServer(t)
				db = srv.DB()
				stop, start = func() { srv.Stop(t) }, func() { srv.Start(t) }
			} else {
				db = testdb.New(t, kind)
				var down atomic.Bool
				gdb = db.OpenHooked(t, func(string) error {
					if down.Load() {
						return errors.New("test: database unreachable")
					}
					return nil
				})
				stop, start = func() { down.Store(true) }, func() { down.Store(false) }
			}
			downAndBack(t, setup(t, db, gdb, &Options{Events: true, PollInterval: 20 * time.Millisecond}), stop, start)
		})
	}
}

func downAndBack(t *testing.T, e *env, stop, start func()) {
	ctx := context.Background()
	seed(t, e.store)
	var r recorder
	r.on(e.client, of.ProviderReady, of.ProviderStale, of.ProviderError, of.ProviderConfigChange)
	r.waitFor(t, of.ProviderReady)
	on, err := e.client.BooleanValue(ctx, "on", false, of.EvaluationContext{})
	require.NoError(t, err)
	require.True(t, on)
	r.reset()

	stop()
	r.waitFor(t, of.ProviderStale)
	r.waitFor(t, of.ProviderError) // the SDK does not pass the event's error code on to handlers
	require.Equal(t, of.ErrorState, e.client.State())
	for _, key := range []string{"on", "switch:sw-on", "sample:always"} {
		d, err := e.client.BooleanValueDetails(ctx, key, false, of.EvaluationContext{})
		require.Error(t, err, key)
		require.False(t, d.Value, "%s: the caller's default", key)
		require.Equal(t, of.ErrorReason, d.Reason, key)
		require.Equal(t, of.GeneralCode, d.ErrorCode, key)
	}
	s, err := e.client.StringValueDetails(ctx, "color", "grey", of.EvaluationContext{})
	require.Error(t, err)
	require.Equal(t, "grey", s.Value)
	require.Equal(t, of.ErrorReason, s.Reason)
	require.Equal(t, of.GeneralCode, s.ErrorCode)

	start()
	// Another process changes a switch as soon as the database is back: the
	// provider reports it whether its next poll sees it with the recovery
	// or after it.
	require.NoError(t, e.store.SetSwitch(ctx, "during", true))
	r.waitFor(t, of.ProviderReady)
	r.waitFor(t, of.ProviderConfigChange, "switch:during")
	require.Equal(t, of.ReadyState, e.client.State())
	for _, key := range []string{"on", "switch:during"} {
		d, err := e.client.BooleanValueDetails(ctx, key, false, of.EvaluationContext{})
		require.NoError(t, err, key)
		require.True(t, d.Value, key)
		require.NotEqual(t, of.ErrorReason, d.Reason, key)
	}
	c, err := e.client.StringValue(ctx, "color", "grey", of.EvaluationContext{})
	require.NoError(t, err)
	require.Equal(t, "blue", c)
}

// A provider whose database does not answer fails Init: the SDK reports
// PROVIDER_ERROR and the client's state is ERROR.
func TestInitFailsWhileUnreachable(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		var down atomic.Bool
		gdb := db.OpenHooked(t, func(string) error {
			if down.Load() {
				return errors.New("test: database unreachable")
			}
			return nil
		})
		down.Store(true)
		p, err := New(gdb, nil)
		require.NoError(t, err)
		domain := t.Name()
		t.Cleanup(func() { _ = of.SetNamedProviderAndWait(domain, of.NoopProvider{}) })
		err = of.SetNamedProviderAndWait(domain, p)
		require.ErrorContains(t, err, "unreachable")
		require.Equal(t, of.ErrorState, of.NewClient(domain).State())
	})
}

// Hooks receive the evaluation details: value, reason, variant, metadata
// and error code.
func TestHooksReceiveDetails(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testdb.DB) {
		e := setup(t, db, nil, nil)
		seed(t, e.store)
		h := &captureHook{}
		e.client.AddHooks(h)
		ctx := context.Background()
		_, err := e.client.BooleanValue(ctx, "rules", false, of.NewEvaluationContext("u1", nil))
		require.NoError(t, err)
		_, _ = e.client.BooleanValue(ctx, "nope", false, of.EvaluationContext{})
		h.mu.Lock()
		defer h.mu.Unlock()
		require.Len(t, h.details, 2)
		require.Equal(t, "rules", h.details[0].FlagKey)
		require.Equal(t, true, h.details[0].Value)
		require.Equal(t, of.TargetingMatchReason, h.details[0].Reason)
		require.Equal(t, "on", h.details[0].Variant)
		require.Equal(t, string(waffle.ReasonUser), h.details[0].FlagMetadata[MetaReason])
		require.Equal(t, of.FlagNotFoundCode, h.details[1].ErrorCode)
		require.Equal(t, of.ErrorReason, h.details[1].Reason)
		require.Equal(t, 1, h.errors)
	})
}

type captureHook struct {
	of.UnimplementedHook
	mu      sync.Mutex
	details []of.InterfaceEvaluationDetails
	errors  int
}

func (h *captureHook) Error(context.Context, of.HookContext, error, of.HookHints) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errors++
}

func (h *captureHook) Finally(_ context.Context, _ of.HookContext, d of.InterfaceEvaluationDetails, _ of.HookHints) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.details = append(h.details, d)
}

// The default provider through SetProviderAndWait, and no goroutine without
// Events.
func TestDefaultProvider(t *testing.T) {
	db := testdb.New(t, testdb.SQLite)
	other, err := waffle.New(db.Open(t), nil)
	require.NoError(t, err)
	require.NoError(t, other.Migrate(context.Background()))
	p, err := New(db.Open(t), nil)
	require.NoError(t, err)
	require.NoError(t, of.SetProviderAndWait(p))
	t.Cleanup(func() { _ = of.SetProviderAndWait(of.NoopProvider{}) })
	p.mu.Lock()
	require.Nil(t, p.cancel, "no watcher without Events")
	p.mu.Unlock()
	require.NoError(t, other.SetSwitch(context.Background(), "s", true))
	on, err := of.NewDefaultClient().BooleanValue(context.Background(), "switch:s", false, of.EvaluationContext{})
	require.NoError(t, err)
	require.True(t, on)
}
