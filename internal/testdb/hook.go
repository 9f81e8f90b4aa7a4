package testdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"testing"

	"gorm.io/gorm"
)

// OpenHooked is Open on a driver that calls before(query) ahead of every
// statement the handle sends, prepared statements' executions included: a
// test can cancel a context at an exact point of a transaction and see what
// a real driver then does. When before returns an error, the driver returns
// it instead of sending the statement.
func (d *DB) OpenHooked(tb testing.TB, before func(query string) error) *gorm.DB {
	tb.Helper()
	return d.OpenWrapped(tb, func(base driver.Driver) driver.Driver {
		return &hookDriver{base: base, before: before}
	})
}

type hookDriver struct {
	base   driver.Driver
	before func(query string) error
}

func (d *hookDriver) Open(dsn string) (driver.Conn, error) {
	conn, err := d.base.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &hookConn{Conn: conn, before: d.before}, nil
}

// hookConn passes everything through to the driver's connection, calling
// before ahead of each query and exec, prepared statements' included.
type hookConn struct {
	driver.Conn
	before func(query string) error
}

func (c *hookConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if err := c.before(query); err != nil {
		return nil, err
	}
	return e.ExecContext(ctx, query, args)
}

func (c *hookConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if err := c.before(query); err != nil {
		return nil, err
	}
	return q.QueryContext(ctx, query, args)
}

func (c *hookConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var (
		st  driver.Stmt
		err error
	)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &hookStmt{Stmt: st, query: query, before: c.before}, nil
}

// hookStmt calls before ahead of each execution of a prepared statement.
type hookStmt struct {
	driver.Stmt
	query  string
	before func(query string) error
}

func (s *hookStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, fmt.Errorf("testdb: hook driver: %T has no ExecContext", s.Stmt)
	}
	if err := s.before(s.query); err != nil {
		return nil, err
	}
	return e.ExecContext(ctx, args)
}

func (s *hookStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("testdb: hook driver: %T has no QueryContext", s.Stmt)
	}
	if err := s.before(s.query); err != nil {
		return nil, err
	}
	return q.QueryContext(ctx, args)
}

func (s *hookStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *hookConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, fmt.Errorf("testdb: hook driver: %T has no BeginTx", c.Conn)
}

func (c *hookConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := c.Conn.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *hookConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *hookConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *hookConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}
