package waffle

// Reason names the rule that decided an answer: which step of a flag's
// evaluation, or whether a switch, sample or string flag was found. The
// values are stable text, fit for logs and metrics. docs/flags.md lists them
// in evaluation order.
type Reason string

// Reasons shared by every kind.
const (
	// ReasonMissingDefault: the object does not exist; the configured
	// default answered (FlagDefault, SwitchDefault, SampleDefault, or the
	// MissingFlagHandling mode of a string flag).
	ReasonMissingDefault Reason = "missing_default"
	// ReasonMissingCreated: the object did not exist and was created with
	// the default (CreateMissingFlags and its siblings), which answered.
	ReasonMissingCreated Reason = "missing_created"
	// ReasonFound: a switch, sample or string flag was found and its stored
	// state answered (for a sample, a new draw against its percent).
	ReasonFound Reason = "found"
	// ReasonError: the read failed; the answer is a default.
	ReasonError Reason = "error"
)

// Reasons of a flag, in evaluation order.
const (
	ReasonOverride      Reason = "override"       // Config.Override's query parameter
	ReasonTestingQuery  Reason = "testing_query"  // the testing query parameter (dwft_<name>)
	ReasonTestingHeader Reason = "testing_header" // the testing header (dwft-<name>)
	ReasonTestingCookie Reason = "testing_cookie" // the testing cookie (dwft_<name>)
	ReasonEveryoneOn    Reason = "everyone_on"    // Everyone is on
	ReasonEveryoneOff   Reason = "everyone_off"   // Everyone is off (absolute)
	ReasonUser          Reason = "user"           // the user is listed in Users
	ReasonGroup         Reason = "group"          // the user is in a listed group (FlagDetail.Group says which)
	ReasonSuperuser     Reason = "superuser"      // Superusers and the user is a superuser
	ReasonStaff         Reason = "staff"          // Staff and the user is staff
	ReasonAuthenticated Reason = "authenticated"  // Authenticated and the user is authenticated
	ReasonLanguage      Reason = "language"       // the request's language is listed
	ReasonPercentCookie Reason = "percent_cookie" // an anonymous visitor's dwf_ cookie
	ReasonPercentBucket Reason = "percent_bucket" // an identified user's deterministic bucket
	ReasonPercentDraw   Reason = "percent_draw"   // an anonymous visitor's random draw
	ReasonRamp          Reason = "ramp"           // the percent step, with the percent of the flag's Ramp at Config.Now
	ReasonRollout       Reason = "rollout"        // off by cookie or draw in rollout mode: drawn again next session
	ReasonNoMatch       Reason = "no_match"       // no rule matched: off
)

// Percent reports whether r is one of the percent step's reasons (cookie,
// bucket, draw, rollout, ramp): the answer came from a split of the audience.
func (r Reason) Percent() bool {
	switch r {
	case ReasonPercentCookie, ReasonPercentBucket, ReasonPercentDraw, ReasonRollout, ReasonRamp:
		return true
	}
	return false
}

// Targeting reports whether r is a rule that matched the request or its
// user: override, testing, user, group, superuser, staff, authenticated or
// language.
func (r Reason) Targeting() bool {
	switch r {
	case ReasonOverride, ReasonTestingQuery, ReasonTestingHeader, ReasonTestingCookie,
		ReasonUser, ReasonGroup, ReasonSuperuser, ReasonStaff, ReasonAuthenticated, ReasonLanguage:
		return true
	}
	return false
}

// Missing reports whether r says the object does not exist.
func (r Reason) Missing() bool { return r == ReasonMissingDefault || r == ReasonMissingCreated }
