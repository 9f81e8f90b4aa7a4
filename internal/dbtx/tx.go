package dbtx

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/gowaffle/waffle/internal/query"
)

// InAppTx reports whether db is bound to the application's transaction.
func InAppTx(db *gorm.DB) bool {
	_, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}

// WriteTx runs fn in a write transaction: the application's, when db is bound
// to one (fn's statements then commit or roll back with it), or a new one on
// a connection of primary (the pool writes go to), run as [Run] does.
func WriteTx(ctx context.Context, db *gorm.DB, primary func() (*sql.DB, error), q *query.Set, fn func(ex Execer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if InAppTx(db) {
		return fn(db.Statement.ConnPool)
	}
	pool, err := primary()
	if err != nil {
		return err
	}
	c, err := Open(ctx, pool, false)
	if err != nil {
		return err
	}
	defer c.Close()
	return Run(ctx, c, q, fn)
}

// Run runs fn in a transaction on c that holds the database's write lock
// from its first statement (BEGIN IMMEDIATE on SQLite), committed when fn
// returns nil and rolled back otherwise.
func Run(ctx context.Context, c *Conn, q *query.Set, fn func(ex Execer) error) error {
	if err := Begin(ctx, c, q); err != nil {
		return err
	}
	if err := fn(c); err != nil {
		Rollback(c, q)
		return err
	}
	if _, err := c.ExecContext(ctx, q.SQL("tx_commit")); err != nil {
		Rollback(c, q)
		return err
	}
	return nil
}

// Begin starts a transaction on c, waiting while another writer holds the
// lock even when the application's DSN sets no busy timeout. When ctx ends
// first, the error joins ctx's and the database's.
func Begin(ctx context.Context, c *Conn, q *query.Set) error {
	return RetryBusy(ctx, func() error {
		_, err := c.ExecContext(ctx, q.SQL("tx_begin"))
		return err
	})
}

// RetryBusy runs fn again while it fails with SQLite's "database is locked",
// waiting 1 ms, then twice as long each time up to 100 ms, until ctx ends
// (the error then joins ctx's and the database's). fn must change nothing
// when it fails: one statement, or a BEGIN.
func RetryBusy(ctx context.Context, fn func() error) error {
	delay := time.Millisecond
	for {
		err := fn()
		if err == nil || !IsBusy(err) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// Rollback ends a failed transaction. It runs even when ctx was cancelled; a
// connection whose rollback fails is discarded (see [Conn.Discard]) rather
// than returned to the pool with a transaction open.
func Rollback(c *Conn, q *query.Set) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.ExecContext(ctx, q.SQL("tx_rollback")); err != nil {
		c.Discard()
	}
}

// IsBusy reports whether err is SQLite's "database is locked".
func IsBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}
