package dbtx

import (
	"context"
	"database/sql"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/gowaffle/waffle/internal/query"
)

// StmtCache holds the read statements prepared on one *sql.DB. Lookups read
// an immutable map through an atomic pointer: no lock and no allocation, so
// nothing here serialises readers. Preparing a new statement copies the map.
// The zero value is ready to use.
type StmtCache struct {
	mu sync.Mutex // serialises Prepare and the copy
	m  atomic.Pointer[map[string]cachedStmt]
}

type cachedStmt struct {
	db   *sql.DB
	stmt *sql.Stmt
}

// Get returns the statement of q called name, prepared on db: the cached one,
// or one prepared now. A statement cached for another *sql.DB is prepared
// again on db.
func (c *StmtCache) Get(ctx context.Context, db *sql.DB, q *query.Set, name string) (*sql.Stmt, error) {
	if stmt := c.lookup(c.m.Load(), db, name); stmt != nil {
		return stmt, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if stmt := c.lookup(old, db, name); stmt != nil {
		return stmt, nil
	}
	stmt, err := db.PrepareContext(ctx, q.SQL(name))
	if err != nil {
		return nil, err
	}
	next := make(map[string]cachedStmt, 8)
	if old != nil {
		maps.Copy(next, *old)
	}
	next[name] = cachedStmt{db: db, stmt: stmt}
	c.m.Store(&next)
	return stmt, nil
}

// lookup returns the statement called name in m when it was prepared on db.
func (c *StmtCache) lookup(m *map[string]cachedStmt, db *sql.DB, name string) *sql.Stmt {
	if m == nil {
		return nil
	}
	if cs, ok := (*m)[name]; ok && cs.db == db {
		return cs.stmt
	}
	return nil
}
