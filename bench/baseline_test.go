package bench

import (
	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/bucket"
	"github.com/gowaffle/waffle/internal/testdb"

	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The Baseline: what a careful developer writes by hand with database/sql,
// a statement prepared once and one round trip per answer. Each is a
// function taking the name, as application code would call it (not inlined,
// so that the name is a value, not a constant, as in the library).

//go:noinline
func baselineSwitchIsActive(ctx context.Context, stmt *sql.Stmt, name string) (bool, error) {
	var active bool
	found, err := noRows(stmt.QueryRowContext(ctx, name).Scan(&active))
	return found && active, err
}

//go:noinline
func baselineSampleIsActive(ctx context.Context, stmt *sql.Stmt, name string) (bool, error) {
	var percent float64
	found, err := noRows(stmt.QueryRowContext(ctx, name).Scan(&percent))
	return found && rand.Float64()*100 < percent, err
}

// strAnswer is what a string-flag read answers: found, and the string.
type strAnswer struct {
	found bool
	value string
}

//go:noinline
func baselineGet(ctx context.Context, stmt *sql.Stmt, name string) (strAnswer, error) {
	var v sql.NullString
	found, err := noRows(stmt.QueryRowContext(ctx, name).Scan(&v))
	return strAnswer{found && v.Valid, v.String}, err
}

//go:noinline
func baselineSet(ctx context.Context, stmt *sql.Stmt, name, value string) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, err := stmt.ExecContext(ctx, name, value, now)
	return err
}

// baselineBatch writes rows of string flags in one transaction, batchRows
// rows per INSERT ... ON CONFLICT, with a statement prepared once per batch
// size.
type baselineBatch struct {
	db    *sql.DB
	stmts map[int]*sql.Stmt
	sqlOf func(rows int) string
}

const batchRows = 1000

func newBaselineBatch(d *benchDB) *baselineBatch {
	return &baselineBatch{db: d.sqlDB, stmts: map[int]*sql.Stmt{}, sqlOf: func(rows int) string {
		var q strings.Builder
		q.WriteString("INSERT INTO waffle_string_flag (name, value, created, modified) VALUES ")
		for i := range rows {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "($%d, $%d, $1, $1)", 2*i+2, 2*i+3)
		}
		q.WriteString(" ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified")
		return d.native(q.String())
	}}
}

//go:noinline
func (bb *baselineBatch) write(ctx context.Context, names []string, values []*string) error {
	tx, err := bb.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after Commit: sql.ErrTxDone
	now := time.Now().UTC().Truncate(time.Microsecond)
	args := make([]any, 0, 1+2*batchRows)
	for start := 0; start < len(names); start += batchRows {
		end := min(start+batchRows, len(names))
		stmt, ok := bb.stmts[end-start]
		if !ok {
			if stmt, err = bb.db.PrepareContext(ctx, bb.sqlOf(end-start)); err != nil {
				return err
			}
			bb.stmts[end-start] = stmt
		}
		args = append(args[:0], now)
		for i := start; i < end; i++ {
			args = append(args, names[i], values[i])
		}
		// A transaction's statement closes with the transaction.
		if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil { //nolint:sqlclosecheck // closed by Commit or Rollback
			return err
		}
	}
	return tx.Commit()
}

// baselineFlagSQL answers, for an identified user, everything the decision
// needs in one round trip: the flag's rules that apply without a request
// (everyone, percent, the authenticated/staff/superusers switches, the
// languages) and whether the user is listed or in a listed group. Group
// membership follows the schema (migrations 3 and 4): the members not
// written by the sync by user (PostgreSQL: a partial index; SQLite: a table
// kept by triggers), and the flag's WAFFLE_ group probed by the primary key
// of the sync's members (SQLite keeps them in a table of their own).
func baselineFlagSQL(kind string) string {
	byUser := `SELECT 1 FROM waffle_group_member gm
               JOIN waffle_flag_group fg ON fg.group_id = gm.group_id AND fg.flag_id = f.id
               WHERE gm.user_id = $2 AND NOT gm.synced`
	synced := "waffle_group_member"
	if kind == testdb.SQLite {
		byUser = `SELECT 1 FROM waffle_group_member_by_user gm
               JOIN waffle_flag_group fg ON fg.group_id = gm.group_id AND fg.flag_id = f.id
               WHERE gm.user_id = $2`
		synced = "waffle_sync_member"
	}
	return `SELECT f.everyone, f.percent, f.authenticated, f.staff, f.superusers, f.languages,
    EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = $2)
    OR EXISTS (` + byUser + `)
    OR EXISTS (SELECT 1 FROM waffle_group g
               JOIN waffle_flag_group fg ON fg.group_id = g.id AND fg.flag_id = f.id
               JOIN ` + synced + ` gm ON gm.group_id = g.id AND gm.user_id = $2
               WHERE g.name = 'WAFFLE_' || f.name)
FROM waffle_flag f WHERE f.name = $1`
}

// baselineFlagIsActive decides like django-waffle for an identified user
// with no request and no language: everyone, then listed or grouped, then
// the user's deterministic percent bucket (the library's documented hash).
//
//go:noinline
func baselineFlagIsActive(ctx context.Context, stmt *sql.Stmt, name string, u *waffle.User) (bool, error) {
	var everyone sql.NullBool
	var percent sql.NullFloat64
	var authenticated, staff, superusers, member bool
	var languages string
	err := stmt.QueryRowContext(ctx, name, u.ID).Scan(&everyone, &percent, &authenticated, &staff, &superusers, &languages, &member)
	if found, err := noRows(err); !found {
		return false, err
	}
	switch {
	case everyone.Valid:
		return everyone.Bool, nil
	case member, authenticated && u.Authenticated, staff && u.Staff, superusers && u.Superuser:
		return true, nil
	case percent.Valid && percent.Float64 > 0:
		return bucket.Percent(name, u.ID) < percent.Float64, nil
	}
	return false, nil
}
