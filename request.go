package waffle

import (
	"context"
	"net/http"
	"sync"
)

// requestState is what [Store.Middleware] puts in a request's context: the
// request that flag evaluations read (query, headers, cookies), the
// per-request memo of percent decisions, and the decisions whose cookies the
// middleware writes before the response header. Without the middleware there
// is none: evaluation still works, without request input and without cookies.
type requestState struct {
	req *http.Request

	// The request's input, each parsed once when an evaluation first needs
	// it (many flags evaluated in one request then cost one parse).
	cookiesOnce, headersOnce, queryOnce sync.Once
	cookies                             cookieJar
	headers                             headerJar
	query                               queryJar

	mu sync.Mutex
	// percent holds the flags whose percent step decided in this request
	// (a draw, or a dwf_ cookie read): the memo, and the dwf_ cookies to
	// write.
	percent map[string]percentDecision
	// tests holds testing-mode decisions taken from the query string or a
	// header: the dwft_ cookies to write.
	tests map[string]bool
	// batch is the request's declared names and their rows ([Store.Needs]).
	batch *batchMemo
	// members is the user's memberships read for the snapshot.
	members *memberships
}

// percentDecision is one flag's percent result in a request.
type percentDecision struct {
	active  bool
	rollout bool // an off result is then a session cookie
	// fromCookie is set when the decision was read from the request's
	// cookie: the browser keeps it even if the response does not refresh it.
	fromCookie bool
}

type requestKey struct{}

// withRequestState returns ctx carrying st.
func withRequestState(ctx context.Context, st *requestState) context.Context {
	return context.WithValue(ctx, requestKey{}, st)
}

// requestStateFrom returns the request state the middleware put in ctx, or
// nil.
func requestStateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestKey{}).(*requestState)
	return st
}

// recordPercent remembers a percent decision drawn in this request for the
// memo and the cookie.
func (st *requestState) recordPercent(name string, active, rollout bool) {
	st.putPercent(name, percentDecision{active: active, rollout: rollout})
}

// recordPercentCookie remembers a percent decision read from the request's
// cookie, for the memo and the cookie's refresh.
func (st *requestState) recordPercentCookie(name string, active, rollout bool) {
	st.putPercent(name, percentDecision{active: active, rollout: rollout, fromCookie: true})
}

func (st *requestState) putPercent(name string, d percentDecision) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.percent == nil {
		st.percent = map[string]percentDecision{}
	}
	st.percent[name] = d
}

// memo returns the percent decision already taken for name in this request.
func (st *requestState) memo(name string) (d percentDecision, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	d, ok = st.percent[name]
	return d, ok
}

// recordTest remembers a testing-mode decision from the query or a header.
func (st *requestState) recordTest(name string, active bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.tests == nil {
		st.tests = map[string]bool{}
	}
	st.tests[name] = active
}

// cookie returns the value of the request's cookie called name (see
// parseCookies).
func (st *requestState) cookie(name string) (string, bool) {
	st.cookiesOnce.Do(func() { st.cookies = parseCookies(st.req.Header["Cookie"]) })
	return st.cookies.get(name)
}

// header returns the value of the request's header called name, matched
// without regard to case or to "_" and "-" (see parseHeaders).
func (st *requestState) header(name string) (string, bool) {
	st.headersOnce.Do(func() { st.headers = parseHeaders(st.req.Header) })
	return st.headers.get(name)
}

// queryParam returns the last value of the request's query parameter called
// name (see parseQuery).
func (st *requestState) queryParam(name string) (string, bool) {
	st.queryOnce.Do(func() {
		if st.req.URL != nil {
			st.query = parseQuery(st.req.URL.RawQuery)
		}
	})
	return st.query.get(name)
}
