package waffle

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MissingFlagMode says what [Store.Get] returns for a string flag that has no
// row, or whose stored value is NULL. The modes are flagday's.
type MissingFlagMode string

const (
	// ReturnFalse makes a missing string flag read as false. It is the default.
	ReturnFalse MissingFlagMode = "return_false"
	// ReturnEmpty makes a missing string flag read as the empty string.
	ReturnEmpty MissingFlagMode = "return_empty"
	// ReturnNone makes a missing string flag read as nil.
	ReturnNone MissingFlagMode = "return_none"
	// Exception makes [Store.Get] return an error that matches [ErrNoSuchFlag].
	Exception MissingFlagMode = "exception"
)

// Config configures a [Store]. A nil *Config and the zero Config are valid:
// every field documents the default its zero value stands for.
type Config struct {
	// Cookie configures the cookies written by [Store.Middleware].
	//
	// Defaults to django-waffle's cookies: "dwf_%s" and "dwft_%s", a max age
	// of 30 days, Secure, path "/", no Domain, no SameSite, not HttpOnly.
	Cookie CookieConfig

	// CreateMissingFlags makes an evaluation of a flag that does not exist
	// create it, with everyone set to FlagDefault.
	//
	// Defaults to false.
	CreateMissingFlags bool

	// CreateMissingSamples makes a read of a sample that does not exist create
	// it, with percent 100 when SampleDefault is true and 0 otherwise.
	//
	// Defaults to false.
	CreateMissingSamples bool

	// CreateMissingSwitches makes a read of a switch that does not exist
	// create it, with active set to SwitchDefault.
	//
	// Defaults to false.
	CreateMissingSwitches bool

	// Django, when set, shares the database with a Django deployment: the
	// Store reads and writes django-waffle's tables and follows its rules
	// where the library's differ (see [DjangoConfig] and docs/django.md).
	//
	// Defaults to nil: the library's own tables.
	Django *DjangoConfig

	// DisableAudit turns the audit trail off: changes then write no entry
	// (docs/audit.md). Leave it off unless the changes are audited
	// elsewhere, such as a bulk loader's own log: after an incident, what
	// changed, when and who changed it is what an operator needs, and an
	// entry can only be written with its change.
	//
	// Defaults to false: every change made through the library writes an
	// entry in its own transaction.
	DisableAudit bool

	// DisablePreparedStatements makes the Store send every statement
	// unprepared: it then prepares no reads of its own (by default they are
	// prepared once per pool and reused) and no sync statements. Set it
	// behind a connection pooler that does not keep prepared statements
	// across transactions, such as PgBouncer before 1.21 in transaction
	// pooling mode, and give pgx default_query_exec_mode=exec (or
	// simple_protocol) in the DSN so that the driver prepares none either.
	// docs/deployment.md has the settings that work.
	//
	// Defaults to false: reads are prepared.
	DisablePreparedStatements bool

	// ErrorLogInterval is how often the reads without an error branch
	// ([Store.FlagIsActiveOr] and its siblings) log a failure for one name
	// and one kind of error, by the clock Now; the records held back in
	// between are counted in the next one's "suppressed" attribute.
	//
	// Defaults to one minute. Negative values are invalid.
	ErrorLogInterval time.Duration

	// FlagDefault is what [Store.FlagIsActive] returns for a flag that does
	// not exist.
	//
	// Defaults to false.
	FlagDefault bool

	// Logger receives the library's log records: missing objects (see the
	// LogMissing fields) and background work such as [Store.SyncLoop].
	//
	// Defaults to [slog.Default].
	Logger *slog.Logger

	// LogMissingFlags, when set, logs every evaluation of a flag that does not
	// exist at this level, as django-waffle's WAFFLE_LOG_MISSING_FLAGS does.
	//
	// Defaults to nil: missing flags are not logged.
	LogMissingFlags slog.Leveler

	// LogMissingSamples, when set, logs every read of a sample that does not
	// exist at this level.
	//
	// Defaults to nil: missing samples are not logged.
	LogMissingSamples slog.Leveler

	// LogMissingSwitches, when set, logs every read of a switch that does not
	// exist at this level.
	//
	// Defaults to nil: missing switches are not logged.
	LogMissingSwitches slog.Leveler

	// MaxJSONBytes is the largest input [Store.SetFromJSON] accepts, in
	// bytes, checked before any parsing: a larger one is a *JSONError that
	// matches [ErrJSONTooLarge]. Negative values are invalid.
	//
	// Defaults to 16 MiB (about 150,000 flags of 100 bytes).
	MaxJSONBytes int

	// MissingFlagHandling is what [Store.Get] returns for a string flag that is
	// missing or NULL. An unknown mode makes [New] fail.
	//
	// Defaults to [ReturnFalse].
	MissingFlagHandling MissingFlagMode

	// Now is the clock: time windows are active when start <= Now() < end, and
	// created and modified times come from it.
	//
	// Defaults to [time.Now].
	Now func() time.Time

	// Override lets a query parameter named after a flag force it: ?name=1
	// turns it on and any other value turns it off (django-waffle's
	// WAFFLE_OVERRIDE). It needs [Store.Middleware] to see the request.
	//
	// Defaults to false.
	Override bool

	// Rand returns a number in [0, 1) for sample draws and anonymous percent
	// draws. It must be safe for concurrent use.
	//
	// Defaults to [rand.Float64] from math/rand/v2.
	Rand func() float64

	// SampleDefault is what [Store.SampleIsActive] returns for a sample that
	// does not exist.
	//
	// Defaults to false.
	SampleDefault bool

	// SwitchDefault is what [Store.SwitchIsActive] returns for a switch that
	// does not exist.
	//
	// Defaults to false.
	SwitchDefault bool

	// SnapshotMaxAge bounds how stale a read from the snapshot
	// ([Store.StartSnapshot]) may be: when the snapshot has not been known
	// current for this long (its listener lost, the database unreachable),
	// reads go to the database. In Django mode the snapshot also reloads in
	// full every half of it (docs/django.md).
	//
	// Defaults to 5 seconds.
	SnapshotMaxAge time.Duration

	// SnapshotPollInterval is how often a snapshot on SQLite checks for
	// changes (PRAGMA data_version); a change is served within it. In Django
	// mode the snapshot polls its fingerprint of Django's tables at this
	// interval on both databases.
	//
	// Defaults to 100 milliseconds.
	SnapshotPollInterval time.Duration

	// SnapshotMaxUsers is the number of users from which a flag's users
	// stay in the database instead of the snapshot (one statement per
	// request then reads the user's memberships).
	//
	// Defaults to 1000.
	SnapshotMaxUsers int

	// SnapshotMaxBytes bounds the memory the snapshot holds (an estimate:
	// names, rules, values, listed users and groups, with the maps'
	// overhead; [Store.SnapshotStats] reports it). Over the bound, the
	// longest user lists stay in the database, as lists of SnapshotMaxUsers
	// do, until the rest fits; when the definitions alone do not fit, the
	// snapshot serves nothing and reads go to the database (the snapshot
	// keeps watching, and serves again once a reload fits).
	//
	// Defaults to 64 MiB.
	SnapshotMaxBytes int64
}

// defaultSnapshotMaxBytes is Config.SnapshotMaxBytes's default.
const defaultSnapshotMaxBytes = 64 << 20

// CookieConfig configures the percent and testing cookies. The zero value is
// django-waffle's behaviour plus the attributes it never had.
type CookieConfig struct {
	// Domain is the cookie's Domain attribute.
	//
	// Defaults to "": no Domain attribute, the cookie belongs to the host.
	Domain string

	// HttpOnly sets the HttpOnly attribute on both cookies. The field is
	// spelled as net/http.Cookie's.
	//
	// Defaults to false, as django-waffle (scripts may read the cookies).
	HttpOnly bool

	// Insecure drops the Secure attribute from percent cookies, for
	// development over plain http. Testing cookies are never Secure, as in
	// django-waffle. The field is the negation of django-waffle's
	// WAFFLE_SECURE so that the zero Config is secure.
	//
	// Defaults to false: percent cookies are Secure (WAFFLE_SECURE=True).
	Insecure bool

	// MaxPerResponse is the most percent and testing cookies one response
	// sets; the decisions left out are taken again on the next request (see
	// [Store.Middleware] for which are sent). Negative means no limit.
	//
	// Defaults to 50.
	MaxPerResponse int

	// MaxAge is how long a percent cookie lives. Negative values are invalid.
	//
	// Defaults to 30 days (WAFFLE_MAX_AGE).
	MaxAge time.Duration

	// NameFormat is the percent cookie's name, with one %s for the flag name.
	//
	// Defaults to "dwf_%s" (WAFFLE_COOKIE).
	NameFormat string

	// Path is the cookie's Path attribute.
	//
	// Defaults to "/".
	Path string

	// SameSite is the cookie's SameSite attribute.
	//
	// Defaults to 0: no SameSite attribute, as django-waffle.
	SameSite http.SameSite

	// TestNameFormat is the testing cookie's name, with one %s for the flag
	// name. It is also the testing query parameter, and with "_" replaced by
	// "-" the testing header.
	//
	// Defaults to "dwft_%s" (WAFFLE_TEST_COOKIE).
	TestNameFormat string
}

const defaultCookieMaxAge = 30 * 24 * time.Hour

// defaultMaxJSONBytes is Config.MaxJSONBytes's default.
const defaultMaxJSONBytes = 16 << 20

// defaultMaxCookiesPerResponse is Config.Cookie.MaxPerResponse's default:
// 50 cookies of about 100 bytes stay far below the 8 to 16 KB of response
// header that common proxies accept.
const defaultMaxCookiesPerResponse = 50

// withDefaults returns a copy of cfg with every zero field replaced by its
// default, or a *ConfigError naming the first field that is invalid.
func (cfg *Config) withDefaults() (Config, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	switch c.MissingFlagHandling {
	case "":
		c.MissingFlagHandling = ReturnFalse
	case ReturnFalse, ReturnEmpty, ReturnNone, Exception:
	default:
		return c, &ConfigError{Field: "MissingFlagHandling", Reason: "unknown mode " + quote(string(c.MissingFlagHandling)) +
			` (use "return_false", "return_empty", "return_none" or "exception")`}
	}
	if err := c.snapshotDefaults(); err != nil {
		return c, err
	}
	if c.MaxJSONBytes < 0 {
		return c, &ConfigError{Field: "MaxJSONBytes", Reason: "must not be negative, got " + strconv.Itoa(c.MaxJSONBytes)}
	}
	if c.MaxJSONBytes == 0 {
		c.MaxJSONBytes = defaultMaxJSONBytes
	}
	cookie, err := c.Cookie.withDefaults()
	if err != nil {
		return c, err
	}
	c.Cookie = cookie
	if c.ErrorLogInterval < 0 {
		return c, &ConfigError{Field: "ErrorLogInterval", Reason: "must not be negative, got " + c.ErrorLogInterval.String()}
	}
	if c.ErrorLogInterval == 0 {
		c.ErrorLogInterval = time.Minute
	}
	if c.Django != nil {
		d := *c.Django // a copy: the caller's stays as it is
		if d.TimeZone == nil {
			d.TimeZone = time.UTC
		}
		c.Django = &d
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c, nil
}

// withDefaults returns a copy of cc with every zero field replaced by its
// default, or a *ConfigError naming the first field that is invalid.
func (cc CookieConfig) withDefaults() (CookieConfig, error) {
	c := cc
	if c.MaxAge < 0 {
		return c, &ConfigError{Field: "Cookie.MaxAge", Reason: "must not be negative, got " + c.MaxAge.String()}
	}
	if c.MaxAge == 0 {
		c.MaxAge = defaultCookieMaxAge
	}
	if c.MaxPerResponse == 0 {
		c.MaxPerResponse = defaultMaxCookiesPerResponse
	}
	if c.NameFormat == "" {
		c.NameFormat = "dwf_%s"
	}
	if c.TestNameFormat == "" {
		c.TestNameFormat = "dwft_%s"
	}
	for _, f := range []struct{ field, format string }{
		{"Cookie.NameFormat", c.NameFormat},
		{"Cookie.TestNameFormat", c.TestNameFormat},
	} {
		if strings.Count(f.format, "%s") != 1 || strings.Count(f.format, "%") != 1 {
			return c, &ConfigError{Field: f.field, Reason: "must contain exactly one %s and no other verb, got " + quote(f.format)}
		}
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if err := c.validateAttributes(); err != nil {
		return c, err
	}
	if c.SameSite < 0 || c.SameSite > http.SameSiteNoneMode {
		return c, &ConfigError{Field: "Cookie.SameSite", Reason: "unknown http.SameSite value"}
	}
	return c, nil
}

// snapshotDefaults checks the snapshot's settings and fills in their
// defaults.
func (cfg *Config) snapshotDefaults() error {
	for _, f := range []struct {
		field string
		d     *time.Duration
		def   time.Duration
	}{{"SnapshotMaxAge", &cfg.SnapshotMaxAge, 5 * time.Second}, {"SnapshotPollInterval", &cfg.SnapshotPollInterval, 100 * time.Millisecond}} {
		if *f.d < 0 {
			return &ConfigError{Field: f.field, Reason: "must not be negative, got " + f.d.String()}
		}
		if *f.d == 0 {
			*f.d = f.def
		}
	}
	if cfg.SnapshotMaxUsers < 0 {
		return &ConfigError{Field: "SnapshotMaxUsers", Reason: "must not be negative"}
	}
	if cfg.SnapshotMaxUsers == 0 {
		cfg.SnapshotMaxUsers = 1000
	}
	if cfg.SnapshotMaxBytes < 0 {
		return &ConfigError{Field: "SnapshotMaxBytes", Reason: "must not be negative, got " + strconv.FormatInt(cfg.SnapshotMaxBytes, 10)}
	}
	if cfg.SnapshotMaxBytes == 0 {
		cfg.SnapshotMaxBytes = defaultSnapshotMaxBytes
	}
	return nil
}
