package waffle

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"time"
)

// Middleware makes flag evaluations in next see the request and remember
// their decisions in cookies, as django-waffle's WaffleMiddleware does; with
// chi or gorilla/mux, r.Use(store.Middleware). With the request in the
// context, [Store.FlagIsActive] reads the override and testing query
// parameters, the testing header and the percent and testing cookies, and a
// flag evaluated twice in a request gives the same answer.
//
// It writes a cookie for each flag evaluated in the request, and only for
// those (dwf_<name> for a percent decision, dwft_<name> for a testing one,
// with Config.Cookie's attributes), when the response header goes out:
// evaluate flags before writing the response. The ResponseWriter next gets
// has Unwrap, for [http.ResponseController], and implements [http.Flusher],
// [http.Hijacker] and [io.ReaderFrom]; a hijacked connection gets no cookies.
// A response carries at most Config.Cookie.MaxPerResponse (50) of these
// cookies; the rest are decided again on the next request. Applied twice on
// one request, the inner Middleware does nothing. The cookies in full:
// docs/http.md.
func (s *Store) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requestStateFrom(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		st := &requestState{req: r}
		r = r.WithContext(withRequestState(r.Context(), st))
		cw := &cookieWriter{ResponseWriter: w, s: s, st: st}
		next.ServeHTTP(cw, r)
		cw.sendCookies()
	})
}

// cookieWriter adds the request's cookies to the response header just before
// it is sent.
type cookieWriter struct {
	http.ResponseWriter
	s  *Store
	st *requestState
	// done is set once the cookies were added or can no longer be: the
	// header went out, or the connection was hijacked.
	done bool
}

// sendCookies adds the cookies to the header, once.
func (cw *cookieWriter) sendCookies() {
	if cw.done {
		return
	}
	cw.done = true
	cw.s.setCookies(cw.ResponseWriter.Header(), cw.st)
}

// WriteHeader adds the cookies, then sends the header. Informational 1xx
// headers (103 Early Hints) pass through and leave the cookies for the final
// header.
func (cw *cookieWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		cw.ResponseWriter.WriteHeader(code)
		return
	}
	cw.sendCookies()
	cw.ResponseWriter.WriteHeader(code)
}

// Write adds the cookies when the header has not been sent yet, then writes.
func (cw *cookieWriter) Write(b []byte) (int, error) {
	cw.sendCookies()
	return cw.ResponseWriter.Write(b)
}

// Flush adds the cookies when the header has not been sent yet, then flushes
// the underlying writer when it can.
func (cw *cookieWriter) Flush() {
	cw.sendCookies()
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

// FlushError is Flush reporting the underlying writer's error, for
// [http.ResponseController].
func (cw *cookieWriter) FlushError() error {
	cw.sendCookies()
	return http.NewResponseController(cw.ResponseWriter).Flush()
}

// ReadFrom adds the cookies when the header has not been sent yet, then
// copies from src, through the underlying writer's ReadFrom (sendfile) when
// it has one.
func (cw *cookieWriter) ReadFrom(src io.Reader) (int64, error) {
	cw.sendCookies()
	if rf, ok := cw.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{cw.ResponseWriter}, src)
}

// Hijack hands the connection over when the underlying writer can. No
// cookies are sent on a hijacked connection.
func (cw *cookieWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(cw.ResponseWriter).Hijack()
	if err == nil {
		cw.done = true
	}
	return conn, rw, err
}

// Unwrap returns the ResponseWriter the middleware wrapped, for
// [http.ResponseController].
func (cw *cookieWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// writerOnly hides every method of a writer but Write, so that io.Copy does
// not call ReadFrom again.
type writerOnly struct{ io.Writer }

// setCookies adds a Set-Cookie header to h for each decision recorded in st,
// at most Config.Cookie.MaxPerResponse of them. Which ones is decided in
// order of what a missing cookie costs: testing decisions first, then
// percent draws, then refreshes of percent cookies the request carried, each
// group by flag name. They are written as always: percent cookies, then
// testing cookies, each sorted by flag name, so the header is the same from
// one run to the next.
func (s *Store) setCookies(h http.Header, st *requestState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	total := len(st.percent) + len(st.tests)
	if total == 0 {
		return
	}
	tests := make([]string, 0, len(st.tests))
	for name := range st.tests {
		tests = append(tests, name)
	}
	percent := make([]string, 0, len(st.percent))
	for name := range st.percent {
		percent = append(percent, name)
	}
	slices.Sort(tests)
	slices.Sort(percent)
	send := func(string) bool { return true }
	if limit := s.cfg.Cookie.MaxPerResponse; limit >= 0 && total > limit {
		// Percent names in priority order: draws, then refreshes.
		byCost := slices.Clone(percent)
		slices.SortStableFunc(byCost, func(a, b string) int {
			return cmpBool(st.percent[a].fromCookie, st.percent[b].fromCookie)
		})
		chosen := make(map[string]bool, limit)
		n := min(limit, len(tests))
		testsSent := tests[:n]
		for _, name := range byCost[:limit-n] {
			chosen[name] = true
		}
		tests = testsSent
		send = func(name string) bool { return chosen[name] }
		s.cfg.Logger.Debug("waffle: cookies left out of a response (Config.Cookie.MaxPerResponse)",
			"sent", limit, "left_out", total-limit)
	}
	cc := &s.cfg.Cookie
	for _, name := range percent {
		if !send(name) {
			continue
		}
		d := st.percent[name]
		c := http.Cookie{
			Name:     s.percentCookieName(name),
			Value:    cookieBool(d.active),
			Path:     cc.Path,
			Domain:   cc.Domain,
			Secure:   !cc.Insecure,
			HttpOnly: cc.HttpOnly,
			SameSite: cc.SameSite,
		}
		if d.active || !d.rollout {
			c.MaxAge = cookieSeconds(cc.MaxAge)
			c.Expires = s.cfg.Now().Add(cc.MaxAge).UTC()
		}
		addCookie(h, &c)
	}
	for _, name := range tests {
		addCookie(h, &http.Cookie{
			Name:     s.testCookieName(name),
			Value:    cookieBool(st.tests[name]),
			Path:     cc.Path,
			Domain:   cc.Domain,
			HttpOnly: cc.HttpOnly,
			SameSite: cc.SameSite,
		})
	}
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// addCookie adds c to h. A cookie net/http cannot serialise (it never
// happens with names from percentCookieName and testCookieName and a
// validated Config) is left out rather than sent malformed.
func addCookie(h http.Header, c *http.Cookie) {
	if v := c.String(); v != "" {
		h.Add("Set-Cookie", v)
	}
}

// cookieBool is the value of a percent or testing cookie: "True" or "False",
// as django-waffle writes them (Python's str(bool)).
func cookieBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// cookieSeconds is d as a Max-Age: whole seconds, rounded up so that a
// positive age never becomes 0 (which net/http would omit, making a session
// cookie).
func cookieSeconds(d time.Duration) int {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs > int64(^uint32(0)>>1) {
		secs = int64(^uint32(0) >> 1)
	}
	return int(secs)
}

// validateAttributes reports a Path or Domain that net/http would not write
// as it is (it would drop the Domain or bytes of the Path, and log through
// the log package): [New] refuses them instead.
func (cc *CookieConfig) validateAttributes() error {
	if err := (&http.Cookie{Name: "x", Path: cc.Path}).Valid(); err != nil {
		return &ConfigError{Field: "Cookie.Path", Reason: "not a valid cookie path " + quote(cc.Path) + ": " + err.Error()}
	}
	if err := (&http.Cookie{Name: "x", Domain: cc.Domain}).Valid(); err != nil {
		return &ConfigError{Field: "Cookie.Domain", Reason: "not a valid cookie domain " + quote(cc.Domain)}
	}
	return nil
}
