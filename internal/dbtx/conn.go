package dbtx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"gorm.io/gorm"
)

// Conn is a connection taken from the pool for write transactions. With
// stmts set, each statement sent on it is prepared on its first use and
// reused after: a sync of many flags sends the same few statements for each
// flag, and SQLite would otherwise compile each of them again every time.
type Conn struct {
	conn      *sql.Conn
	stmts     map[string]*sql.Stmt // nil: statements are sent unprepared
	discarded bool                 // closed by Discard: replace it
}

// Open takes a connection from db; with prepare, each statement sent on it
// is prepared once and reused. Close returns it to the pool.
func Open(ctx context.Context, db *sql.DB, prepare bool) (*Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	c := &Conn{conn: conn}
	if prepare {
		c.stmts = make(map[string]*sql.Stmt)
	}
	return c, nil
}

// InTx returns c's connection for GORM while [Run] holds a transaction on
// it: it reports itself as a transaction (gorm.TxCommitter), so that GORM
// begins none of its own and plugins such as dbresolver keep every
// statement on it instead of sending reads to a replica. Its Commit and
// Rollback fail: the transaction is Run's to end.
func (c *Conn) InTx() gorm.ConnPool { return txConn{c.conn} }

// txConn is a connection inside a transaction that Run ends.
type txConn struct{ *sql.Conn }

var errTxOwned = errors.New("dbtx: the transaction is ended by dbtx.Run")

func (txConn) Commit() error   { return errTxOwned }
func (txConn) Rollback() error { return errTxOwned }

// Discarded reports whether [Conn.Discard] closed c: it can run nothing more
// and is to be replaced (and still closed).
func (c *Conn) Discarded() bool { return c.discarded }

// stmt returns the prepared statement for query, or nil when c does not
// prepare or preparing failed (the statement then runs unprepared, so that
// the caller sees the database's own error).
func (c *Conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.stmts == nil {
		return nil
	}
	if st, ok := c.stmts[query]; ok {
		return st
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

// ExecContext runs query on c, prepared when c prepares.
func (c *Conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil { //nolint:sqlclosecheck // c.stmts owns it: Close and Discard close it
		return st.ExecContext(ctx, args...)
	}
	return c.conn.ExecContext(ctx, query, args...)
}

// QueryContext runs query on c, prepared when c prepares.
func (c *Conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil { //nolint:sqlclosecheck // c.stmts owns it: Close and Discard close it
		return st.QueryContext(ctx, args...)
	}
	return c.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query on c, prepared when c prepares.
func (c *Conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil { //nolint:sqlclosecheck // c.stmts owns it: Close and Discard close it
		return st.QueryRowContext(ctx, args...)
	}
	return c.conn.QueryRowContext(ctx, query, args...)
}

// Close closes the prepared statements and returns the connection to the
// pool.
func (c *Conn) Close() error {
	return errors.Join(c.closeStmts(), c.conn.Close())
}

// Discard closes the connection instead of returning it to the pool: a
// transaction may be open on it ([Rollback] failed). The prepared statements
// are closed first, while the connection is open: database/sql does not
// close a connection's own statements when it discards it, and SQLite
// keeps a connection with statements left open (and its transaction, and
// the write lock) until they are finalised.
func (c *Conn) Discard() {
	_ = c.closeStmts()
	_ = c.conn.Raw(func(any) error { return driver.ErrBadConn })
	c.discarded = true
}

func (c *Conn) closeStmts() error {
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
