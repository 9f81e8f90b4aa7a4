// Package openfeature is waffle's OpenFeature provider: it answers
// OpenFeature clients (github.com/open-feature/go-sdk) from a waffle store.
//
// Boolean keys resolve flags, or switches and samples with the prefixes
// "switch:" and "sample:"; String, Int, Float and Object keys resolve string
// flags through waffle's typed parses. The evaluation context's targetingKey
// is the user's ID; its attributes groups, staff, superuser, authenticated and
// language fill in the rest. docs/openfeature.md has the mapping, reason and
// error-code tables.
//
// The provider is stateless like the store: every evaluation is one fresh
// statement. With Options.Events it also watches the database (one goroutine
// from Init to Shutdown, polling every Options.PollInterval) and emits
// PROVIDER_CONFIGURATION_CHANGED with the changed keys, PROVIDER_STALE and
// PROVIDER_ERROR while the database is unreachable, and PROVIDER_READY once it
// answers again.
package openfeature

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
)

// Key prefixes that reach switches and samples from Boolean evaluations, and
// string flags from any evaluation.
const (
	SwitchPrefix = "switch:"
	SamplePrefix = "sample:"
	StringPrefix = "string:"
)

// Metadata keys the provider sets on every successful resolution.
const (
	MetaReason   = "waffle_reason" // the library's waffle.Reason
	MetaKind     = "kind"          // "flag", "switch", "sample" or "string flag"
	MetaNote     = "note"          // the object's note (not for string flags)
	MetaModified = "modified"      // its last change, RFC 3339, UTC
	MetaGroup    = "group"         // with the group reason: the group that matched
	MetaPercent  = "percent"       // with a percent reason, and for samples
)

// Options configure a [Provider]. A nil *Options and the zero value are valid.
type Options struct {
	// Config configures the provider's store ([waffle.New]).
	//
	// Defaults to nil: waffle's defaults.
	Config *waffle.Config

	// Events starts, at Init, one goroutine that polls the database for
	// changes and its health, and emits the events the package comment
	// lists. Shutdown stops it.
	//
	// Defaults to false: no goroutine, and only the SDK's own events (READY
	// or ERROR after Init).
	Events bool

	// PollInterval is how often the events goroutine polls: one cheap
	// statement per poll (PostgreSQL: counts and latest modified times of
	// four tables; SQLite: PRAGMA data_version), and one listing of every
	// key's modified time when it moved.
	//
	// Defaults to 5 seconds.
	PollInterval time.Duration

	// Logger receives the events goroutine's records.
	//
	// Defaults to Config.Logger, else slog.Default.
	Logger *slog.Logger
}

// Provider is an OpenFeature provider on a waffle store. It implements
// of.FeatureProvider, of.StateHandler, of.ContextAwareStateHandler and
// of.EventHandler. It is safe for concurrent use.
type Provider struct {
	store *waffle.Store
	db    *gorm.DB
	opts  Options

	events chan of.Event

	mu     sync.Mutex
	cancel context.CancelFunc // the watcher's, while it runs
	done   chan struct{}      // closed when the watcher returns
}

// New returns a provider on db, the application's *gorm.DB (PostgreSQL or
// SQLite, migrated with waffle's Migrate). It runs no statement and starts no
// goroutine; the SDK calls Init when the provider is set.
func New(db *gorm.DB, opts *Options) (*Provider, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.PollInterval < 0 {
		return nil, errors.New("waffle/openfeature: PollInterval must not be negative")
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.Logger == nil {
		if o.Config != nil && o.Config.Logger != nil {
			o.Logger = o.Config.Logger
		} else {
			o.Logger = slog.Default()
		}
	}
	s, err := waffle.New(db, o.Config)
	if err != nil {
		return nil, err
	}
	return &Provider{store: s, db: db, opts: o, events: make(chan of.Event, 8)}, nil
}

// Store returns the provider's store, for the application's own reads and
// writes.
func (p *Provider) Store() *waffle.Store { return p.store }

// Metadata names the provider "waffle".
func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: "waffle"} }

// Hooks returns none.
func (p *Provider) Hooks() []of.Hook { return nil }

// BooleanEvaluation resolves a flag, or a switch ("switch:name"), a sample
// ("sample:name", a new draw) or a string flag read as a strict boolean
// ("string:name").
func (p *Provider) BooleanEvaluation(ctx context.Context, key string, dflt bool, flat of.FlattenedContext) of.BoolResolutionDetail {
	fail := func(e of.ResolutionError) of.BoolResolutionDetail {
		return of.BoolResolutionDetail{Value: dflt, ProviderResolutionDetail: errorDetail(e)}
	}
	switch {
	case strings.HasPrefix(key, SwitchPrefix):
		d, err := p.store.SwitchDetail(ctx, key[len(SwitchPrefix):])
		if err != nil {
			return fail(resolutionError(key, err))
		}
		if d.Missing {
			return fail(notFound(key))
		}
		meta := meta("switch", d.Reason, d.Note, d.Modified)
		return of.BoolResolutionDetail{Value: d.Active, ProviderResolutionDetail: detail(staticOrDisabled(d.Active), d.Active, meta)}
	case strings.HasPrefix(key, SamplePrefix):
		d, err := p.store.SampleDetail(ctx, key[len(SamplePrefix):])
		if err != nil {
			return fail(resolutionError(key, err))
		}
		if d.Missing {
			return fail(notFound(key))
		}
		meta := meta("sample", d.Reason, d.Note, d.Modified)
		meta[MetaPercent] = d.Percent
		return of.BoolResolutionDetail{Value: d.Active, ProviderResolutionDetail: detail(of.SplitReason, d.Active, meta)}
	case strings.HasPrefix(key, StringPrefix):
		v, pd, ok := p.stringFlag(ctx, key)
		if !ok {
			return of.BoolResolutionDetail{Value: dflt, ProviderResolutionDetail: pd}
		}
		b, err := v.StrictBool()
		if err != nil {
			return fail(resolutionError(key, err))
		}
		pd.Variant = onOff(b)
		return of.BoolResolutionDetail{Value: b, ProviderResolutionDetail: pd}
	}
	ctx, cerr := withEvaluationContext(ctx, flat)
	if cerr != nil {
		return fail(of.NewInvalidContextResolutionError(cerr.Error()))
	}
	d, err := p.store.FlagDetailMeta(ctx, key)
	if err != nil {
		return fail(resolutionError(key, err))
	}
	if d.Missing {
		return fail(notFound(key))
	}
	m := meta("flag", d.Reason, d.Note, d.Modified)
	if d.Group != "" {
		m[MetaGroup] = d.Group
	}
	if d.Reason.Percent() {
		m[MetaPercent] = d.Percent
	}
	return of.BoolResolutionDetail{Value: d.Active, ProviderResolutionDetail: detail(FlagReason(d.Reason), d.Active, m)}
}

// StringEvaluation resolves a string flag's text.
func (p *Provider) StringEvaluation(ctx context.Context, key string, dflt string, _ of.FlattenedContext) of.StringResolutionDetail {
	v, pd, ok := p.stringFlag(ctx, key)
	if !ok {
		return of.StringResolutionDetail{Value: dflt, ProviderResolutionDetail: pd}
	}
	return of.StringResolutionDetail{Value: v.String(), ProviderResolutionDetail: pd}
}

// IntEvaluation resolves a string flag parsed with waffle.Value.Int.
func (p *Provider) IntEvaluation(ctx context.Context, key string, dflt int64, _ of.FlattenedContext) of.IntResolutionDetail {
	v, pd, ok := p.stringFlag(ctx, key)
	if !ok {
		return of.IntResolutionDetail{Value: dflt, ProviderResolutionDetail: pd}
	}
	n, err := v.Int()
	if err != nil {
		return of.IntResolutionDetail{Value: dflt, ProviderResolutionDetail: errorDetail(resolutionError(key, err))}
	}
	return of.IntResolutionDetail{Value: n, ProviderResolutionDetail: pd}
}

// FloatEvaluation resolves a string flag parsed with waffle.Value.Float.
func (p *Provider) FloatEvaluation(ctx context.Context, key string, dflt float64, _ of.FlattenedContext) of.FloatResolutionDetail {
	v, pd, ok := p.stringFlag(ctx, key)
	if !ok {
		return of.FloatResolutionDetail{Value: dflt, ProviderResolutionDetail: pd}
	}
	f, err := v.Float()
	if err != nil {
		return of.FloatResolutionDetail{Value: dflt, ProviderResolutionDetail: errorDetail(resolutionError(key, err))}
	}
	return of.FloatResolutionDetail{Value: f, ProviderResolutionDetail: pd}
}

// ObjectEvaluation resolves a string flag decoded as JSON
// (waffle.Value.DecodeJSON into an any).
func (p *Provider) ObjectEvaluation(ctx context.Context, key string, dflt any, _ of.FlattenedContext) of.InterfaceResolutionDetail {
	v, pd, ok := p.stringFlag(ctx, key)
	if !ok {
		return of.InterfaceResolutionDetail{Value: dflt, ProviderResolutionDetail: pd}
	}
	var obj any
	if err := v.DecodeJSON(&obj); err != nil {
		return of.InterfaceResolutionDetail{Value: dflt, ProviderResolutionDetail: errorDetail(resolutionError(key, err))}
	}
	return of.InterfaceResolutionDetail{Value: obj, ProviderResolutionDetail: pd}
}

// stringFlag reads the string flag of key. ok is false when the caller's
// default answers: pd then says why (an error, or DEFAULT for a NULL value).
func (p *Provider) stringFlag(ctx context.Context, key string) (v waffle.Value, pd of.ProviderResolutionDetail, ok bool) {
	name := strings.TrimPrefix(key, StringPrefix)
	if strings.HasPrefix(name, SwitchPrefix) || strings.HasPrefix(name, SamplePrefix) {
		return v, errorDetail(of.NewTypeMismatchResolutionError(quoteKey(key) + " is boolean: evaluate it with BooleanValue")), false
	}
	d, err := p.store.StringFlagDetail(ctx, name)
	if err != nil {
		return v, errorDetail(resolutionError(key, err)), false
	}
	m := of.FlagMetadata{MetaKind: "string flag", MetaReason: string(d.Reason)}
	if !d.Modified.IsZero() {
		m[MetaModified] = d.Modified.UTC().Format(time.RFC3339Nano)
	}
	switch {
	case d.Value.Null():
		return v, of.ProviderResolutionDetail{Reason: of.DefaultReason, FlagMetadata: m}, false
	case d.Value.Missing():
		return v, errorDetail(notFound(key)), false
	}
	return d.Value, of.ProviderResolutionDetail{Reason: of.StaticReason, Variant: "value", FlagMetadata: m}, true
}

// FlagReason maps a flag's waffle.Reason to OpenFeature's reason:
//
//	everyone on                                STATIC
//	everyone off                               DISABLED
//	override, testing, user, group, superuser,
//	staff, authenticated, language             TARGETING_MATCH
//	percent cookie, bucket, draw, rollout      SPLIT
//	no rule matched                            DEFAULT
//	missing                                    DEFAULT (the provider reports FLAG_NOT_FOUND)
//	error, or anything else                    ERROR / UNKNOWN
func FlagReason(r waffle.Reason) of.Reason {
	switch {
	case r == waffle.ReasonEveryoneOn:
		return of.StaticReason
	case r == waffle.ReasonEveryoneOff:
		return of.DisabledReason
	case r.Targeting():
		return of.TargetingMatchReason
	case r.Percent():
		return of.SplitReason
	case r == waffle.ReasonNoMatch, r.Missing():
		return of.DefaultReason
	case r == waffle.ReasonError:
		return of.ErrorReason
	}
	return of.UnknownReason
}

// staticOrDisabled is a switch's reason: on is STATIC, off DISABLED.
func staticOrDisabled(on bool) of.Reason {
	if on {
		return of.StaticReason
	}
	return of.DisabledReason
}

// resolutionError maps a store error to the specification's error codes:
// an invalid name or a missing string flag (Exception mode) is
// FLAG_NOT_FOUND; text that is not the type asked for TYPE_MISMATCH, text
// that is not valid JSON PARSE_ERROR; anything else (the database) GENERAL.
func resolutionError(key string, err error) of.ResolutionError {
	var te *waffle.TypeError
	switch {
	case errors.Is(err, waffle.ErrInvalidName), errors.Is(err, waffle.ErrReservedName):
		return of.NewFlagNotFoundResolutionError(quoteKey(key) + " is not a valid name: " + err.Error())
	case errors.Is(err, waffle.ErrNoSuchFlag):
		return notFound(key)
	case errors.As(err, &te) && te.Type == "json":
		return of.NewParseErrorResolutionError(err.Error(), err)
	case errors.As(err, &te):
		return of.NewTypeMismatchResolutionError(err.Error())
	}
	return of.NewGeneralResolutionError(err.Error(), err)
}

func notFound(key string) of.ResolutionError {
	return of.NewFlagNotFoundResolutionError("no " + quoteKey(key) + " in waffle")
}

func quoteKey(key string) string {
	if len(key) > 80 {
		key = key[:80] + "..."
	}
	return `"` + key + `"`
}

func errorDetail(e of.ResolutionError) of.ProviderResolutionDetail {
	return of.ProviderResolutionDetail{ResolutionError: e, Reason: of.ErrorReason}
}

func detail(r of.Reason, on bool, m of.FlagMetadata) of.ProviderResolutionDetail {
	return of.ProviderResolutionDetail{Reason: r, Variant: onOff(on), FlagMetadata: m}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func meta(kind string, r waffle.Reason, note string, modified time.Time) of.FlagMetadata {
	m := of.FlagMetadata{MetaKind: kind, MetaReason: string(r), MetaNote: note}
	if !modified.IsZero() {
		m[MetaModified] = modified.UTC().Format(time.RFC3339Nano)
	}
	return m
}

// The SDK's interfaces the provider implements.
var (
	_ of.FeatureProvider          = (*Provider)(nil)
	_ of.StateHandler             = (*Provider)(nil)
	_ of.ContextAwareStateHandler = (*Provider)(nil)
	_ of.EventHandler             = (*Provider)(nil)
)
