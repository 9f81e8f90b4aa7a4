package waffle

import (
	"context"
	"net/http"
	"slices"
	"sync"
)

// Needs returns middleware that declares the flags, switches, samples and
// string flags a route reads. The first read in the request of a declared
// name ([Store.FlagIsActive], [Store.SwitchIsActive], [Store.SampleIsActive],
// [Store.Get], the guards, the template helpers) fetches every declared name
// in one statement ([Store.Evaluate]); later reads of declared names are
// answered from that fetch, with the one-name calls' rules (a sample still
// draws anew at each read), and send nothing. Names not declared are read
// one by one as usual; a route that reads nothing sends nothing. Needs runs
// [Store.Middleware] itself when none is in front of it, and Needs on
// nested routes add up (before the first read). Reads inside [Store.WithTx],
// and reads for another user than the first read's ([WithUser]), go to the
// database. Invalid names are reported when the route's first read sends
// the fetch.
//
//	r.With(store.Needs(waffle.Names{Flags: []string{"beta", "new-nav"}})).Get("/", home)
func (s *Store) Needs(n Names) func(http.Handler) http.Handler {
	d := s.newDeclaration(n)
	return func(next http.Handler) http.Handler {
		return s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requestStateFrom(r.Context()).batchMemo().declareShared(s, d)
			next.ServeHTTP(w, r)
		}))
	}
}

// declaration is a set of declared names with what a fetch derives from
// them, computed once: by Needs for every request of its route, or by a
// memo when names add up. A declaration a memo shares is never changed.
type declaration struct {
	names Names
	sets  [4]map[string]struct{} // names by kind, for lookups
	count int                    // names in sets
	args  batchArgs              // the lists as batch_eval takes them
	err   error                  // validateNames(names), reported at the fetch
}

// newDeclaration returns the declaration of n's names, each once, in n's
// order.
func (s *Store) newDeclaration(n Names) *declaration {
	d := &declaration{}
	d.add(n)
	d.seal(s)
	return d
}

// add appends the names of n that d lacks; seal must follow.
func (d *declaration) add(n Names) {
	lists := [4]*[]string{&d.names.Flags, &d.names.Switches, &d.names.Samples, &d.names.StringFlags}
	for kind, names := range [4][]string{n.Flags, n.Switches, n.Samples, n.StringFlags} {
		if d.sets[kind] == nil {
			d.sets[kind] = make(map[string]struct{}, len(names))
		}
		for _, name := range names {
			if _, ok := d.sets[kind][name]; !ok {
				d.sets[kind][name] = struct{}{}
				*lists[kind] = append(*lists[kind], name)
				d.count++
			}
		}
	}
}

// seal computes what a fetch derives from d's names.
func (d *declaration) seal(s *Store) {
	d.err = validateNames(d.names)
	if d.err == nil {
		d.args = s.batchArgs(d.names)
	}
}

// batchMemo is a request's declared names and, once fetched, their rows.
type batchMemo struct {
	mu      sync.Mutex
	decl    *declaration // nil: nothing declared
	owned   bool         // decl is the memo's own, not a Needs' shared one
	all     bool         // fetch every flag, switch and sample instead (template helpers)
	fetched *batch
}

// batchMemo returns st's batch memo, creating it.
func (st *requestState) batchMemo() *batchMemo {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.batch == nil {
		st.batch = &batchMemo{}
	}
	return st.batch
}

// declare adds n to the names the memo fetches, unless it has fetched.
func (m *batchMemo) declare(s *Store, n Names) {
	m.declareShared(s, s.newDeclaration(n))
}

// declareShared adds d's names to the names the memo fetches, unless it
// has fetched. The first declaration is used as it is (a route's Needs:
// nothing to compute per request); a later one is merged into a
// declaration of the memo's own.
func (m *batchMemo) declareShared(s *Store, d *declaration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fetched != nil {
		return
	}
	m.all = false
	switch {
	case m.decl == nil:
		m.decl = d
	case !m.owned:
		own := &declaration{}
		own.add(m.decl.names)
		own.add(d.names)
		own.seal(s)
		m.decl, m.owned = own, true
	default:
		m.decl.add(d.names)
		m.decl.seal(s)
	}
}

// declareAll makes the memo fetch every flag, switch and sample, when no
// name was declared.
func (m *batchMemo) declareAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fetched == nil && (m.decl == nil || m.decl.count == 0) {
		m.all = true
	}
}

// requestBatch returns the memo's rows when name of kind is declared (or
// the memo fetches everything), fetching them at the first call; nil when
// the read must go to the database on its own.
func (s *Store) requestBatch(ctx context.Context, kind int, name string) (*batch, error) {
	st := requestStateFrom(ctx)
	if st == nil || s.inAppTx() {
		return nil, nil
	}
	st.mu.Lock()
	m := st.batch
	st.mu.Unlock()
	if m == nil {
		return nil, nil
	}
	return s.memoBatch(ctx, m, kind, name)
}

// memoBatch is requestBatch on a memo.
func (s *Store) memoBatch(ctx context.Context, m *batchMemo, kind int, name string) (*batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	declared := false
	if m.decl != nil {
		_, declared = m.decl.sets[kind][name]
	}
	if !declared && !m.all {
		return nil, nil
	}
	// One declared name: its own statement is the narrower one.
	if !m.all && m.fetched == nil && m.decl.count == 1 {
		return nil, nil
	}
	u := userFrom(ctx)
	if m.fetched == nil {
		var err error
		if m.all {
			m.fetched, err = s.fetchAll(ctx, u)
		} else {
			m.fetched, err = s.fetchDeclared(ctx, m.decl, u)
		}
		if err != nil {
			return nil, err
		}
	}
	b := m.fetched
	// An all-rows batch holds what exists: a missing name, or a string
	// flag, goes to its own call (which logs and creates it).
	if !b.forUser(u) || b.all && !b.has(kind, name) {
		return nil, nil
	}
	return b, nil
}

// forUser reports whether b was read for u: the same ID and group names.
func (b *batch) forUser(u *User) bool {
	if u == nil {
		return b.userID == "" && len(b.groups) == 0
	}
	id := ""
	if storableUserID(u.ID) {
		id = u.ID
	}
	return id == b.userID && slices.Equal(u.Groups, b.groups)
}

// has reports whether b answers for name of kind: a declared batch holds
// every declared name (found or missing); an all-rows batch holds what
// exists.
func (b *batch) has(kind int, name string) bool {
	switch kind {
	case kindFlag:
		_, ok := b.flags[name]
		return ok
	case kindSwitch:
		_, ok := b.switches[name]
		return ok
	case kindSample:
		_, ok := b.samples[name]
		return ok
	}
	_, ok := b.strings[name]
	return ok
}

// declare adds the guard's name to the names a route declared with
// [Store.Needs], so that one statement answers the guard and the handler.
func (g *guard) declare(ctx context.Context) {
	st := requestStateFrom(ctx)
	if st == nil {
		return
	}
	st.mu.Lock()
	m := st.batch
	st.mu.Unlock()
	if m == nil {
		return
	}
	var n Names
	switch g.kind {
	case "flag":
		n.Flags = []string{g.name}
	case "switch":
		n.Switches = []string{g.name}
	case "sample":
		n.Samples = []string{g.name}
	}
	m.declare(g.s, n)
}
