package waffle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// rampStart is the first instant of the ramps in these tests.
var rampStart = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func hours(n float64) time.Time { return rampStart.Add(time.Duration(n * float64(time.Hour))) }

// testClock is an injected Config.Now the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func stepRamp(points ...RampPoint) *Ramp { return &Ramp{Mode: RampSteps, Points: points} }

func TestRampPercentAt(t *testing.T) {
	t.Parallel()
	linear := LinearRamp(hours(0), hours(10), 0, 100)
	falling := LinearRamp(hours(0), hours(4), 80, 20)
	three := &Ramp{Mode: RampLinear, Points: []RampPoint{{hours(0), 1}, {hours(2), 10}, {hours(4), 50}}}
	steps := stepRamp(RampPoint{hours(0), 1}, RampPoint{hours(2), 10}, RampPoint{hours(4), 50})
	for _, tc := range []struct {
		name string
		ramp *Ramp
		at   time.Time
		want float64
	}{
		{"LinearLongBefore", linear, hours(-1000), 0},
		{"LinearJustBefore", linear, hours(0).Add(-time.Nanosecond), 0},
		{"LinearAtStart", linear, hours(0), 0},
		{"LinearBetween", linear, hours(2.5), 25},
		{"LinearHalfway", linear, hours(5), 50},
		{"LinearJustBeforeEnd", linear, hours(10).Add(-time.Hour / 100), 99.9},
		{"LinearAtEnd", linear, hours(10), 100},
		{"LinearAfter", linear, hours(11), 100},
		{"FallingBefore", falling, hours(-1), 80},
		{"FallingBetween", falling, hours(1), 65},
		{"FallingAfter", falling, hours(5), 20},
		{"ThreePointsFirstLeg", three, hours(1), 5.5},
		{"ThreePointsAtMiddle", three, hours(2), 10},
		{"ThreePointsSecondLeg", three, hours(3), 30},
		{"ThreePointsAfter", three, hours(9), 50},
		{"StepsBefore", steps, hours(-1), 1},
		{"StepsAtFirst", steps, hours(0), 1},
		{"StepsBetweenFirstAndSecond", steps, hours(1.99), 1},
		{"StepsAtSecond", steps, hours(2), 10},
		{"StepsBetweenSecondAndThird", steps, hours(3), 10},
		{"StepsAtLast", steps, hours(4), 50},
		{"StepsAfter", steps, hours(400), 50},
		{"StepsOnePoint", stepRamp(RampPoint{hours(1), 30}), hours(0), 30},
		{"NoRamp", nil, hours(1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.want, tc.ramp.PercentAt(tc.at), 1e-9)
		})
	}
}

// The effective percent: the ramp's while the flag has one, else Percent.
func TestFlagEffectivePercent(t *testing.T) {
	t.Parallel()
	p, ok := (&Flag{}).EffectivePercent(hours(1))
	require.False(t, ok)
	require.Zero(t, p)
	p, ok = (&Flag{Percent: ptr(30.0)}).EffectivePercent(hours(1))
	require.True(t, ok)
	require.Equal(t, 30.0, p)
	p, ok = (&Flag{Percent: ptr(30.0), Ramp: LinearRamp(hours(0), hours(2), 0, 10)}).EffectivePercent(hours(1))
	require.True(t, ok)
	require.Equal(t, 5.0, p, "the ramp replaces Percent")
}

// With a rising ramp the set of identified users for whom the flag is on only
// grows; with a falling one it only shrinks. 10,000 user IDs, many instants,
// and random monotone ramps (seeded) besides the common ones. The decision is
// step 7's: bucket < PercentAt(now); TestFlagRampEvaluation checks that the
// store decides exactly so.
func TestRampMonotoneForUsers(t *testing.T) {
	t.Parallel()
	const users = 10000
	const flag = "gradual"
	buckets := make([]float64, users)
	for i := range buckets {
		buckets[i] = percentBucket(flag, "user-"+strconv.Itoa(i))
	}
	rng := rand.New(rand.NewPCG(18, 2026))
	randomRamp := func(rising bool) *Ramp {
		n := 1 + rng.IntN(8)
		mode := RampSteps
		if rng.IntN(2) == 0 {
			mode, n = RampLinear, n+1
		}
		ps := make([]float64, n)
		for i := range ps {
			ps[i] = math.Round(rng.Float64()*100000) / 1000
		}
		sortFloats(ps, rising)
		r := &Ramp{Mode: mode}
		at := hours(0)
		for _, p := range ps {
			at = at.Add(time.Duration(1 + rng.Int64N(int64(48*time.Hour))))
			r.Points = append(r.Points, RampPoint{At: at, Percent: p})
		}
		return r
	}
	type rampCase struct {
		name   string
		ramp   *Ramp
		rising bool
	}
	cases := []rampCase{
		{"Linear0To100", LinearRamp(hours(0), hours(100), 0, 100), true},
		{"Linear1To50", LinearRamp(hours(0), hours(7*24), 1, 50), true},
		{"Steps1_10_50", stepRamp(RampPoint{hours(0), 1}, RampPoint{hours(48), 10}, RampPoint{hours(7 * 24), 50}), true},
		{"Linear100To0", LinearRamp(hours(0), hours(100), 100, 0), false},
		{"StepsDown", stepRamp(RampPoint{hours(0), 90}, RampPoint{hours(5), 40}, RampPoint{hours(9), 0.5}), false},
	}
	for i := range 20 {
		cases = append(cases, rampCase{"RandomRising" + strconv.Itoa(i), randomRamp(true), true})
		cases = append(cases, rampCase{"RandomFalling" + strconv.Itoa(i), randomRamp(false), false})
	}
	const instants = 500
	checks := 0
	for _, c := range cases {
		first, last := c.ramp.Points[0].At, c.ramp.Points[len(c.ramp.Points)-1].At
		span := last.Sub(first)
		on := make([]bool, users)
		// Walk the instants in time order, points included.
		var times []time.Time
		for k := range instants {
			times = append(times, first.Add(-span/10+time.Duration(float64(span)*1.2*float64(k)/(instants-1))))
		}
		for _, p := range c.ramp.Points {
			times = append(times, p.At, p.At.Add(-time.Nanosecond), p.At.Add(time.Nanosecond))
		}
		sortTimes(times)
		for k, at := range times {
			percent := c.ramp.PercentAt(at)
			for u, b := range buckets {
				now := b < percent
				if c.rising && on[u] && !now {
					t.Fatalf("%s: user-%d turned off at %s (%.6f%%)", c.name, u, at, percent)
				}
				if !c.rising && k > 0 && !on[u] && now {
					t.Fatalf("%s: user-%d turned on at %s (%.6f%%)", c.name, u, at, percent)
				}
				on[u] = now
			}
			checks += len(buckets)
		}
	}
	// The figures for the closing note.
	linear := cases[0].ramp
	var figures []string
	for _, h := range []float64{-1, 0, 10, 25, 50, 75, 99, 100, 101} {
		p := linear.PercentAt(hours(h))
		n := 0
		for _, b := range buckets {
			if b < p {
				n++
			}
		}
		figures = append(figures, "h"+strconv.FormatFloat(h, 'f', -1, 64)+" "+strconv.FormatFloat(p, 'f', -1, 64)+"%: "+strconv.Itoa(n))
	}
	rising := 0
	for _, c := range cases {
		if c.rising {
			rising++
		}
	}
	t.Logf("%d ramps (%d rising, %d falling), %d user IDs, %d decisions checked; users on along 0→100%% over 100 h: %v",
		len(cases), rising, len(cases)-rising, users, checks, figures)
}

func sortFloats(v []float64, ascending bool) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && (v[j] < v[j-1]) == ascending && v[j] != v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func sortTimes(v []time.Time) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].Before(v[j-1]); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// A ramp moves the flag for identified users exactly as step 7 says, before,
// at, between and after its bounds, and the stored Percent applies again
// once the ramp is cleared.
func TestFlagRampEvaluation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		clock := &testClock{t: hours(-1)}
		never := func() float64 { panic("identified users are not drawn") }
		s := h.store(t, &Config{Now: clock.Now, Rand: never})
		const users = 300
		onCount := func(flag string, want float64) int {
			t.Helper()
			n := 0
			for i := range users {
				id := "user-" + strconv.Itoa(i)
				on, err := s.FlagIsActive(WithUser(ctx, User{ID: id}), flag)
				require.NoError(t, err)
				require.Equal(t, percentBucket(flag, id) < want, on, "%s at %s, want %v%%", id, clock.Now(), want)
				if on {
					n++
				}
			}
			return n
		}
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "linear", Percent: ptr(100.0), Ramp: LinearRamp(hours(0), hours(10), 0, 100)}))
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "steps", Ramp: stepRamp(RampPoint{hours(0), 1}, RampPoint{hours(2), 10}, RampPoint{hours(4), 50})}))
		for _, tc := range []struct {
			name          string
			at            time.Time
			linear, steps float64
		}{
			{"Before", hours(-1), 0, 1},
			{"AtStart", hours(0), 0, 1},
			{"Between", hours(3), 30, 10},
			{"Halfway", hours(5), 50, 50},
			{"AtEnd", hours(10), 100, 50},
			{"After", hours(1000), 100, 50},
		} {
			clock.Set(tc.at)
			n := onCount("linear", tc.linear)
			switch tc.linear {
			case 0:
				require.Zero(t, n, tc.name+": 0% is nobody, whatever Percent says")
			case 100:
				require.Equal(t, users, n, tc.name)
			default:
				require.InDelta(t, users*tc.linear/100, n, users*0.1, tc.name)
			}
			onCount("steps", tc.steps)
		}

		// Clearing the ramp brings Percent back; setting it again replaces it.
		clock.Set(hours(1))
		require.NoError(t, s.SetFlagRamp(ctx, "linear", nil))
		require.Equal(t, users, onCount("linear", 100), "Percent 100 applies again")
		require.NoError(t, s.SetFlagRamp(ctx, "linear", LinearRamp(hours(0), hours(10), 0, 100)))
		onCount("linear", 10)
	})
}

// Every rule before step 7 keeps its place in front of the ramp.
func TestFlagRampOrder(t *testing.T) {
	t.Parallel()
	on, off := ptr(true), ptr(false)
	full := LinearRamp(hours(-2), hours(-1), 0, 100) // 100% now
	none := LinearRamp(hours(1), hours(2), 0, 100)   // 0% now
	ten := LinearRamp(hours(0), hours(1), 10, 10)    // 10% now
	cases := []evalCase{
		{name: "EveryoneUnsetRampFull", flag: Flag{Ramp: full}, user: &User{ID: "u1"}, want: true},
		{name: "EveryoneUnsetRampNone", flag: Flag{Ramp: none, Percent: ptr(100.0)}, user: &User{ID: "u1"}, want: false},
		{name: "EveryoneOnRampNone", flag: Flag{Everyone: on, Ramp: none}, user: &User{ID: "u1"}, want: true},
		{name: "EveryoneOffRampFull", flag: Flag{Everyone: off, Ramp: full}, user: &User{ID: "u1"}, want: false},
		{name: "EveryoneOffRampFullAnonymous", flag: Flag{Everyone: off, Ramp: full}, headers: []string{"Cookie: dwf_{f}=True"}, want: false},
		{name: "TestingOffBeatsRampFull", flag: Flag{Testing: true, Ramp: full}, user: &User{ID: "u1"}, query: "dwft_{f}=0", want: false, test: off},
		{name: "TestingOnBeatsRampNone", flag: Flag{Testing: true, Ramp: none}, query: "dwft_{f}=1", want: true, test: on},
		{name: "TestingCookieBeatsRampFull", flag: Flag{Testing: true, Ramp: full}, headers: []string{"Cookie: dwft_{f}=False"}, want: false},
		{name: "TestingNoInputRampFull", flag: Flag{Testing: true, Ramp: full}, user: &User{ID: "u1"}, want: true},
		{name: "LanguageBeatsRampNone", flag: Flag{Languages: []string{"en"}, Ramp: none}, lang: "en", want: true},
		{name: "ListedUserBeatsRampNone", flag: Flag{Users: []string{"u1"}, Ramp: none}, user: &User{ID: "u1"}, want: true},
		{name: "GroupBeatsRampNone", flag: Flag{Groups: []string{"beta"}, Ramp: none}, user: &User{ID: "u9", Groups: []string{"beta"}}, want: true},
		{name: "StaffBeatsRampNone", flag: Flag{Staff: true, Ramp: none}, user: &User{ID: "u9", Staff: true}, want: true},
		{name: "UnlistedUserRampNone", flag: Flag{Users: []string{"u1"}, Ramp: none}, user: &User{ID: "u2"}, want: false},
		// Anonymous visitors: the dwf_ cookie decides as today, else a draw
		// against the ramp's percent (Rand is 0.05: 5 < 10 is on).
		{name: "AnonymousCookieTrue", flag: Flag{Ramp: ten}, headers: []string{"Cookie: dwf_{f}=True"}, want: true, percent: on},
		{name: "AnonymousCookieFalse", flag: Flag{Ramp: ten}, headers: []string{"Cookie: dwf_{f}=False"}, want: false, percent: off},
		{name: "AnonymousDraw", flag: Flag{Ramp: ten}, want: true, percent: on},
		{name: "AnonymousRampNoneNoDraw", flag: Flag{Ramp: none, Percent: ptr(100.0)}, want: false},
		{name: "AnonymousCookieTrueRampNone", flag: Flag{Ramp: none}, headers: []string{"Cookie: dwf_{f}=True"}, want: false},
	}
	for i := range cases {
		cases[i].flag.Name = cases[i].name
	}
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, &Config{Now: func() time.Time { return hours(0.5) }, Rand: fixedRand(0.05)})
		for _, c := range cases {
			f := c.flag // a copy: both databases' subtests run at once
			require.NoError(t, s.SaveFlag(ctx, &f))
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, st, cookies := evaluate(t, s, c, c.flag.Name)
				require.Equal(t, c.want, got)
				d, ok := st.percent[c.flag.Name]
				require.Equal(t, c.percent != nil, ok, "percent decision recorded")
				if ok {
					require.Equal(t, *c.percent, d.active)
					require.NotEmpty(t, cookies)
				}
				tv, ok := st.tests[c.flag.Name]
				require.Equal(t, c.test != nil, ok, "test decision recorded")
				if ok {
					require.Equal(t, *c.test, tv)
				}
			})
		}
	})
}

// A ramp is saved, read back by GetFlag and ListFlags, round-trips through
// the Flag's JSON, and SetFlagRamp sets and clears it alone.
func TestFlagRampRoundTrip(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		clock := &testClock{t: hours(-5)}
		s := h.store(t, &Config{Now: clock.Now})
		paris := time.FixedZone("CET", 3600)
		ramp := &Ramp{Points: []RampPoint{ // no mode: linear
			{At: time.Date(2026, 12, 7, 10, 0, 0, 123456789, paris), Percent: 1},
			{At: time.Date(2026, 12, 9, 10, 0, 0, 0, paris), Percent: 12.5},
		}}
		f := &Flag{Name: "ramped", Percent: ptr(3.0), Staff: true, Users: []string{"u1"}, Ramp: ramp}
		require.NoError(t, s.SaveFlag(ctx, f))
		want := &Ramp{Mode: RampLinear, Points: []RampPoint{
			{At: time.Date(2026, 12, 7, 9, 0, 0, 123456789, time.UTC), Percent: 1},
			{At: time.Date(2026, 12, 9, 9, 0, 0, 0, time.UTC), Percent: 12.5},
		}}
		require.Equal(t, want, f.Ramp, "Save normalises the caller's flag")
		require.Equal(t, paris, ramp.Points[0].At.Location(), "the caller's ramp is not changed")

		got, err := s.GetFlag(ctx, "ramped")
		require.NoError(t, err)
		require.Equal(t, want, got.Ramp)
		flags, err := s.ListFlags(ctx)
		require.NoError(t, err)
		require.Equal(t, want, flags[0].Ramp)

		// JSON: the Flag round-trips, ramp included; no ramp is null.
		b, err := json.Marshal(got)
		require.NoError(t, err)
		require.Contains(t, string(b), `"ramp":{"mode":"linear","points":[{"at":"2026-12-07T09:00:00.123456789Z","percent":1},{"at":"2026-12-09T09:00:00Z","percent":12.5}]}`)
		var back Flag
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, want, back.Ramp)
		b2, err := json.Marshal(back)
		require.NoError(t, err)
		require.JSONEq(t, string(b), string(b2))
		b, err = json.Marshal(Flag{Name: "plain"})
		require.NoError(t, err)
		require.Contains(t, string(b), `"ramp":null`)

		// SetFlagRamp changes the ramp and Modified, nothing else.
		clock.Set(hours(-4))
		steps := stepRamp(RampPoint{hours(0), 1}, RampPoint{hours(48), 10})
		require.NoError(t, s.SetFlagRamp(ctx, "ramped", steps))
		got, err = s.GetFlag(ctx, "ramped")
		require.NoError(t, err)
		require.Equal(t, steps, got.Ramp)
		require.True(t, hours(-4).Equal(got.Modified), "modified %s", got.Modified)
		require.Equal(t, 3.0, *got.Percent)
		require.True(t, got.Staff)
		require.Equal(t, []string{"u1"}, got.Users)
		require.NoError(t, s.SetFlagRamp(ctx, "ramped", nil))
		got, err = s.GetFlag(ctx, "ramped")
		require.NoError(t, err)
		require.Nil(t, got.Ramp)
		require.Equal(t, 3.0, *got.Percent, "Percent is kept")

		err = s.SetFlagRamp(ctx, "missing", steps)
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "missing", nf.Name)
		var ne *NameError
		require.ErrorAs(t, s.SetFlagRamp(ctx, "_bad", nil), &ne)
	})
}

// A ramp that breaks a rule is a *ValueError naming the field, before any
// statement: nothing is written, by SaveFlag or SetFlagRamp.
func TestFlagRampValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ramp   *Ramp
		reason string
	}{
		{"LinearOnePoint", &Ramp{Mode: RampLinear, Points: []RampPoint{{hours(0), 5}}}, "a linear ramp needs at least two points, got 1"},
		{"DefaultModeOnePoint", &Ramp{Points: []RampPoint{{hours(0), 5}}}, "a linear ramp needs at least two points"},
		{"StepsNoPoint", &Ramp{Mode: RampSteps}, "a steps ramp needs at least one point"},
		{"UnknownMode", &Ramp{Mode: "smooth", Points: []RampPoint{{hours(0), 5}, {hours(1), 6}}}, `unknown mode "smooth"`},
		{"EndBeforeStart", LinearRamp(hours(1), hours(0), 0, 100), "point 2 (2026-12-07T09:00:00Z) is not after point 1 (2026-12-07T10:00:00Z)"},
		{"EndAtStart", LinearRamp(hours(1), hours(1), 0, 100), "instants must strictly increase"},
		{"StepsOutOfOrder", stepRamp(RampPoint{hours(0), 1}, RampPoint{hours(2), 10}, RampPoint{hours(1), 50}), "point 3"},
		{"PercentAbove100", LinearRamp(hours(0), hours(1), 0, 100.5), "point 2: percent must be from 0 to 100, got 100.5"},
		{"PercentNegative", LinearRamp(hours(0), hours(1), -1, 10), "point 1: percent must be from 0 to 100, got -1"},
		{"PercentNaN", LinearRamp(hours(0), hours(1), math.NaN(), 10), "got NaN"},
		{"ZeroInstant", LinearRamp(time.Time{}, hours(1), 0, 10), "point 1 has no instant"},
		{"TooManyPoints", func() *Ramp {
			r := &Ramp{Mode: RampSteps}
			for i := range MaxRampPoints + 1 {
				r.Points = append(r.Points, RampPoint{hours(float64(i)), 1})
			}
			return r
		}(), "at most 100 points, got 101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachDB(t, func(t *testing.T, h *harness) {
				ctx := context.Background()
				s, counter := h.countingStore(t, nil)
				require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "kept", Percent: ptr(5.0), Ramp: LinearRamp(hours(0), hours(1), 0, 1)}))
				before, err := s.GetFlag(ctx, "kept")
				require.NoError(t, err)

				check := func(err error) {
					t.Helper()
					var ve *ValueError
					require.ErrorAs(t, err, &ve)
					require.True(t, errors.Is(err, ErrInvalidValue))
					require.Equal(t, "ramp", ve.Field)
					require.Equal(t, "flag", ve.Kind)
					require.Contains(t, ve.Reason, tc.reason)
					require.Contains(t, err.Error(), "invalid ramp of flag")
				}
				counter.Reset()
				check(s.SaveFlag(ctx, &Flag{Name: "new", Ramp: tc.ramp}))
				check(s.SaveFlag(ctx, &Flag{Name: "kept", Percent: ptr(50.0), Ramp: tc.ramp}))
				check(s.SetFlagRamp(ctx, "kept", tc.ramp))
				require.Zero(t, counter.Count(), "no statement before validation: %v", counter.Statements())

				_, err = s.GetFlag(ctx, "new")
				require.ErrorIs(t, err, ErrNotFound)
				after, err := s.GetFlag(ctx, "kept")
				require.NoError(t, err)
				require.Equal(t, before, after)
			})
		})
	}
}

// A stored ramp that breaks the rules (written by another tool) is an error
// of the evaluation and of the read, not a guess.
func TestFlagRampStoredInvalid(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		require.NoError(t, s.SaveFlag(ctx, &Flag{Name: "bad"}))
		for _, text := range []string{`{"mode":"linear","points":[]}`, `not json`, `{"mode":"steps","points":[{"at":"2026-12-07T09:00:00Z","percent":101}]}`} {
			require.NoError(t, s.db.Exec("UPDATE waffle_flag SET ramp = ? WHERE name = 'bad'", text).Error)
			on, err := s.FlagIsActive(WithUser(ctx, User{ID: "u1"}), "bad")
			require.ErrorContains(t, err, "stored ramp", text)
			require.False(t, on)
			_, err = s.GetFlag(ctx, "bad")
			require.ErrorContains(t, err, "stored ramp", text)
		}
		// SetFlagRamp repairs it without reading it.
		require.NoError(t, s.SetFlagRamp(ctx, "bad", nil))
		_, err := s.FlagIsActive(ctx, "bad")
		require.NoError(t, err)
	})
}

// The evaluation's reader of stored ramps (the form Value writes, without
// allocating) agrees with encoding/json on every ramp, and other forms of
// the same JSON fall back to encoding/json.
func TestStoredRampPercent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 18))
	for i := range 300 {
		r := &Ramp{Mode: RampLinear}
		if i%2 == 1 {
			r.Mode = RampSteps
		}
		at := hours(float64(rng.IntN(1000)) - 500)
		for range 2 + rng.IntN(12) {
			at = at.Add(time.Duration(1 + rng.Int64N(int64(72*time.Hour))))
			p := rng.Float64() * 100
			if rng.IntN(4) == 0 {
				p = float64(rng.IntN(101))
			}
			r.Points = append(r.Points, RampPoint{At: at, Percent: p})
		}
		v, err := r.Value()
		require.NoError(t, err)
		text := v.(string)
		parsed, err := parseRamp([]byte(text))
		require.NoError(t, err)
		require.Equal(t, r, parsed)
		first, last := r.Points[0].At, r.Points[len(r.Points)-1].At
		for k := range 50 {
			now := first.Add(time.Duration(float64(last.Sub(first)) * (1.4*float64(k)/49 - 0.2)))
			got, ok := storedRampPercent(text, now)
			require.True(t, ok, text)
			require.Equal(t, r.PercentAt(now), got, "%s at %s", text, now)
		}
	}

	const linear = storedLinear

	for _, other := range []string{
		`{"points":[{"at":"2026-12-07T09:00:00Z","percent":0},{"at":"2026-12-07T19:00:00Z","percent":100}],"mode":"linear"}`,
		`{"mode": "linear", "points": [{"at": "2026-12-07T09:00:00Z", "percent": 0}, {"at": "2026-12-07T19:00:00Z", "percent": 100}]}`,
		`{"points":[{"at":"2026-12-07T10:00:00+01:00","percent":0},{"at":"2026-12-07T19:00:00Z","percent":1e2}]}`,
	} {
		_, ok := storedRampPercent(other, hours(5))
		require.False(t, ok, other)
		r := flagRow{ramp: sqlNullString(other)}
		require.NoError(t, r.applyRamp(func() time.Time { return hours(5) }), other)
		require.Equal(t, sql.NullFloat64{Float64: 50, Valid: true}, r.percent, other)
	}
	r := flagRow{ramp: sqlNullString(linear), percent: sql.NullFloat64{Float64: 90, Valid: true}}
	require.NoError(t, r.applyRamp(func() time.Time { return hours(5) }))
	require.Equal(t, sql.NullFloat64{Float64: 50, Valid: true}, r.percent, "the ramp replaces Percent")
	r = flagRow{percent: sql.NullFloat64{Float64: 90, Valid: true}}
	require.NoError(t, r.applyRamp(func() time.Time { panic("no ramp: no clock") }))
	require.Equal(t, sql.NullFloat64{Float64: 90, Valid: true}, r.percent, "no ramp: Percent")
	for _, broken := range []string{
		`{"mode":"linear","points":[{"at":"2026-12-07T09:00:00Z","percent":0}]}`,
		`{"mode":"linear","points":[{"at":"2026-12-07T09:00:00Z","percent":0},{"at":"2026-12-07T09:00:00Z","percent":100}]}`,
		`{"mode":"steps","points":[{"at":"2026-12-07T09:00:00Z","percent":-1}]}`,
		`{"mode":"up","points":[{"at":"2026-12-07T09:00:00Z","percent":1}]}`,
		`{"mode":"steps","points":[{"at":"2026-12-07T09:00:00Z","percent":1}]}x`,
	} {
		_, ok := storedRampPercent(broken, hours(5))
		require.False(t, ok, broken)
		r := flagRow{ramp: sqlNullString(broken)}
		require.ErrorContains(t, r.applyRamp(func() time.Time { return hours(5) }), "stored ramp", broken)
	}
}

const storedLinear = `{"mode":"linear","points":[{"at":"2026-12-07T09:00:00Z","percent":0},{"at":"2026-12-07T19:00:00Z","percent":100}]}`

// Not parallel: AllocsPerRun counts every goroutine's allocations.
func TestStoredRampPercentAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _, _ = storedRampPercent(storedLinear, hours(5)) })
	require.Zero(t, allocs, "the form the library writes is read without allocating")
}

func sqlNullString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

// The cost of a ramp in the evaluation, beside its baseline in the same run:
// the same flag with Percent, with a linear ramp, and with steps (SQLite).
func BenchmarkFlagIsActiveRamp(b *testing.B) {
	ctx := context.Background()
	db := testdb.New(b, testdb.SQLite)
	s, err := New(db.Open(b), &Config{Now: func() time.Time { return hours(3) }})
	require.NoError(b, err)
	require.NoError(b, s.Migrate(ctx))
	require.NoError(b, s.SaveFlag(ctx, &Flag{Name: "percent", Percent: ptr(30.0)}))
	require.NoError(b, s.SaveFlag(ctx, &Flag{Name: "linear", Ramp: LinearRamp(hours(0), hours(10), 0, 100)}))
	require.NoError(b, s.SaveFlag(ctx, &Flag{Name: "steps", Ramp: stepRamp(RampPoint{hours(0), 1}, RampPoint{hours(2), 10}, RampPoint{hours(4), 50})}))
	user := WithUser(ctx, User{ID: "u9"})
	for _, name := range []string{"percent", "linear", "steps"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.FlagIsActive(user, name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// PercentAt alone, and the evaluation's reader of a stored ramp.
func BenchmarkRampPercentAt(b *testing.B) {
	r := LinearRamp(hours(0), hours(10), 0, 100)
	b.Run("PercentAt", func(b *testing.B) {
		for b.Loop() {
			_ = r.PercentAt(hours(5))
		}
	})
	b.Run("StoredText", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = storedRampPercent(storedLinear, hours(5))
		}
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		b.ReportAllocs()
		text := []byte(storedLinear)
		for b.Loop() {
			rp, _ := parseRamp(text)
			_ = rp.PercentAt(hours(5))
		}
	})
}
