package waffle

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// The test harness: every store test runs once per database through eachDB,
// each run on a new, isolated, migrated database:
//
//	func TestThing(t *testing.T) {
//		t.Parallel()
//		eachDB(t, func(t *testing.T, h *harness) {
//			s := h.store(t, nil)
//			...
//		})
//	}

// harness is one test's database.
type harness struct {
	db *testdb.DB
}

// eachDB runs fn as parallel subtests on SQLite and on PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		h := &harness{db: db}
		h.migrate(t)
		fn(t, h)
	})
}

// store returns a new Store with its own connection pool on the harness's
// database, as another process would have.
func (h *harness) store(tb testing.TB, cfg *Config) *Store {
	tb.Helper()
	s, err := New(h.db.Open(tb), cfg)
	require.NoError(tb, err)
	return s
}

func (h *harness) migrate(tb testing.TB) {
	tb.Helper()
	require.NoError(tb, h.store(tb, nil).Migrate(context.Background()))
}

// cancelled returns a context that is already cancelled.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// countingStore returns a Store whose statements are counted, on the
// harness's database.
func (h *harness) countingStore(tb testing.TB, cfg *Config) (*Store, *testdb.Counter) {
	tb.Helper()
	db, c := h.db.OpenCounting(tb)
	s, err := New(db, cfg)
	require.NoError(tb, err)
	return s, c
}
