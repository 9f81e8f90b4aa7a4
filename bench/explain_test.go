package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowaffle/waffle/internal/query"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
	"github.com/gowaffle/waffle/internal/testdb"
)

// EnvExplainDir names a directory where TestReadPlansUseIndexes writes the
// plans it checked (explain-sqlite.txt, explain-postgres.txt), for
// BENCHMARKS.md. scripts/bench sets it.
const EnvExplainDir = "WAFFLE_EXPLAIN_DIR"

// planRead is one read statement of the library with the arguments of one
// case of the benchmarks.
type planRead struct {
	label, stmt string
	args        []any
}

// planReads lists the read statements and the cases the benchmarks measure,
// with kind's arguments.
func planReads(kind string) []planRead {
	return []planRead{
		{"SwitchIsActive", "switch_active", []any{benchSwitch}},
		{"SwitchIsActive, missing", "switch_active", []any{benchMissing}},
		{"SampleIsActive", "sample_percent", []any{benchSample}},
		{"Get", "string_flag_get", []any{benchString}},
		{"FlagIsActive, 10,000 users, user in a group", "flag_eval_user", []any{benchFlag(benchLargeUsers), benchGroupedUsr}},
		{"FlagIsActive, 10,000 users, user in no group", "flag_eval_user", []any{benchFlag(benchLargeUsers), benchStranger}},
		{"FlagIsActive, 10,000 users, user listed", "flag_eval_user", []any{benchFlag(benchLargeUsers), benchListedUser}},
		{"FlagIsActive, 10,000 users, anonymous", "flag_eval_anonymous", []any{benchFlag(benchLargeUsers)}},
		{"FlagIsActive, 10,000 users, extra group names", "flag_eval", []any{benchFlag(benchLargeUsers), benchStranger, flagEvalGroups(query.For(kind), "bench-group-05", "other")}},
		{"FlagDetail, 10,000 users, user in a group", "flag_eval_user_detail", []any{benchFlag(benchLargeUsers), benchGroupedUsr}},
		{"FlagDetail, 10,000 users, user in no group", "flag_eval_user_detail", []any{benchFlag(benchLargeUsers), benchStranger}},
		{"FlagDetail, 10,000 users, extra group names", "flag_eval_detail", []any{benchFlag(benchLargeUsers), benchStranger, flagEvalGroups(query.For(kind), "bench-group-05", "other")}},
		{"FlagDetailMeta, 10,000 users, user in a group", "flag_eval_user_meta", []any{benchFlag(benchLargeUsers), benchGroupedUsr}},
		{"FlagDetailMeta, 10,000 users, anonymous", "flag_eval_anonymous_meta", []any{benchFlag(benchLargeUsers)}},
		{"FlagDetailMeta, 10,000 users, extra group names", "flag_eval_meta", []any{benchFlag(benchLargeUsers), benchStranger, flagEvalGroups(query.For(kind), "bench-group-05", "other")}},
		{"Evaluate, 30 flags and 2 switches, user in a group, extra group names", "batch_eval_flags", batchEvalArgs(kind, benchNames(30, 2), benchGroupedUsr, "staff", "beta-testers")[:4]},
		{"Evaluate, 30 flags, 2 switches, a sample and a string flag, user in a group, extra group names", "batch_eval",
			batchEvalArgs(kind, benchAllKinds(30, 2), benchGroupedUsr, "staff", "beta-testers")},
	}
}

// benchAllKinds is benchNames with the benchmarked sample and string flag.
func benchAllKinds(flags, switches int) waffle.Names {
	n := benchNames(flags, switches)
	n.Samples, n.StringFlags = []string{benchSample}, []string{benchString}
	return n
}

// batchEvalArgs is batch_eval's arguments for n, the user id and the
// request's group names, as the library encodes them for kind.
func batchEvalArgs(kind string, n waffle.Names, user string, groups ...string) []any {
	list := func(names []string) string {
		if len(names) == 0 && kind == testdb.Postgres {
			return "{}"
		}
		if kind == testdb.Postgres {
			return `{"` + strings.Join(names, `","`) + `"}`
		}
		if len(names) == 0 {
			return "[]"
		}
		return `["` + strings.Join(names, `","`) + `"]`
	}
	return []any{list(n.Flags), user, list(groups), list(n.Switches), list(n.Samples), list(n.StringFlags)}
}

// Every read statement uses an index on the benchmarks' data: on SQLite no
// table is scanned (EXPLAIN QUERY PLAN has no SCAN of a waffle_ table), on
// PostgreSQL no Seq Scan runs, neither in the custom plan of the first
// executions nor in the generic plan a prepared statement settles on. With
// WAFFLE_EXPLAIN_DIR set, the plans are written there for BENCHMARKS.md.
func TestReadPlansUseIndexes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		d := newBenchDB(t, db.Kind, nil)
		d.seed(t)
		ctx := context.Background()
		var out strings.Builder
		fmt.Fprintf(&out, "%s, on the benchmarks' data (bench/data_test.go)\n", db.Name())
		for _, r := range planReads(db.Kind) {
			query := query.For(d.store.Dialect()).SQL(r.stmt)
			fmt.Fprintf(&out, "\n== %s: %s %v\n%s\n", r.label, r.stmt, r.args, query)
			var plan string
			if db.Kind == testdb.SQLite {
				plan = sqlitePlan(t, d.sqlDB, query, r.args)
				require.NotRegexp(t, sqliteScan, plan, "%s scans a table", r.label)
				fmt.Fprintf(&out, "-- EXPLAIN QUERY PLAN\n%s", plan)
				continue
			}
			conn, err := d.sqlDB.Conn(ctx)
			require.NoError(t, err)
			custom := postgresPlan(t, conn, "EXPLAIN (ANALYZE, BUFFERS) "+query, r.args...)
			require.NotRegexp(t, pgScan, custom, "%s: custom plan", r.label)
			_, err = conn.ExecContext(ctx, "PREPARE waffle_plan AS "+query)
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan")
			require.NoError(t, err)
			generic := postgresPlan(t, conn, "EXPLAIN (ANALYZE, BUFFERS) EXECUTE waffle_plan("+pgLiterals(r.args)+")")
			require.NotRegexp(t, pgScan, generic, "%s: generic plan", r.label)
			_, err = conn.ExecContext(ctx, "DEALLOCATE waffle_plan; RESET plan_cache_mode")
			require.NoError(t, err)
			require.NoError(t, conn.Close())
			fmt.Fprintf(&out, "-- EXPLAIN (ANALYZE, BUFFERS), custom plan (the first executions)\n%s", custom)
			fmt.Fprintf(&out, "-- the same, generic plan (a prepared statement reused)\n%s", generic)
		}
		if dir := os.Getenv(EnvExplainDir); dir != "" {
			path := filepath.Join(dir, "explain-"+db.Kind+".txt")
			require.NoError(t, os.WriteFile(path, []byte(out.String()), 0o644))
		}
	})
}

// pgScan matches a sequential scan that ran (EXPLAIN ANALYZE marks the
// branches a plan holds but did not run as "never executed").
var pgScan = regexp.MustCompile(`(?m)Seq Scan on waffle_\S+ .*\(actual time`)

// sqliteScan matches a full scan of one of the library's tables.
var sqliteScan = regexp.MustCompile(`(?m)SCAN waffle_`)

// sqlitePlan returns EXPLAIN QUERY PLAN of query as an indented tree.
func sqlitePlan(t *testing.T, db *sql.DB, query string, args []any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	depth := map[int]int{}
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		depth[id] = depth[parent] + 1
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth[id]-1), detail)
	}
	require.NoError(t, rows.Err())
	return b.String()
}

// postgresPlan runs an EXPLAIN on conn and returns its lines.
func postgresPlan(t *testing.T, conn *sql.Conn, explain string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), explain, args...)
	require.NoError(t, err, explain)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		b.WriteString(line + "\n")
	}
	require.NoError(t, rows.Err())
	return b.String()
}

// pgLiterals writes args as SQL literals for EXECUTE.
func pgLiterals(args []any) string {
	lits := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			lits[i] = "NULL"
		case string:
			lits[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case time.Time:
			lits[i] = "'" + v.Format(time.RFC3339Nano) + "'"
		case bool:
			lits[i] = strconv.FormatBool(v)
		case int, int64, float64:
			lits[i] = fmt.Sprint(v)
		default:
			panic(fmt.Sprintf("pgLiterals: %T", a))
		}
	}
	return strings.Join(lits, ", ")
}

// On PostgreSQL every read settles on the generic plan of its prepared
// statement: planned once, not at every call. (A statement whose custom
// plans look much cheaper than its generic plan, for instance because one
// parameter switches a branch off, is re-planned at every execution, which
// costs more than the read itself.)
func TestReadsReuseTheirPlan(t *testing.T) {
	t.Parallel()
	d := newBenchDB(t, testdb.Postgres, nil)
	d.seed(t)
	d.sqlDB.SetMaxOpenConns(1) // one session: pg_prepared_statements is per session
	ctx := context.Background()
	user := func(id string, groups ...string) context.Context {
		return waffle.WithUser(ctx, waffle.User{ID: id, Groups: groups})
	}
	reads := map[string]func() error{
		"switch_active":   func() error { _, err := d.store.SwitchIsActive(ctx, benchSwitch); return err },
		"sample_percent":  func() error { _, err := d.store.SampleIsActive(ctx, benchSample); return err },
		"string_flag_get": func() error { _, err := d.store.Get(ctx, benchString); return err },
		"flag_eval": func() error {
			_, err := d.store.FlagIsActive(user(benchGroupedUsr), benchFlag(benchLargeUsers))
			return err
		},
		"flag_eval, anonymous": func() error { _, err := d.store.FlagIsActive(ctx, benchFlag(benchLargeUsers)); return err },
		"flag_eval, extra groups": func() error {
			_, err := d.store.FlagIsActive(user(benchStranger, "bench-group-05"), benchFlag(benchLargeUsers))
			return err
		},
	}
	// Each prepared batch statement, called ten times with one name (where
	// a bare = ANY ($1) is re-planned at every call: its custom plans look
	// cheaper than the generic one), then with thirty: the generic plan
	// serves both. Flags and switches only are read by batch_eval_flags,
	// with a sample and a string flag by batch_eval.
	for stmt, names := range map[string]func(flags, switches int) waffle.Names{
		"batch_eval_flags": benchNames, "batch_eval": benchAllKinds} {
		calls := 0
		reads[stmt] = func() error {
			calls++
			n := 1
			if calls > 10 {
				n = 30
			}
			_, err := d.store.Evaluate(user(benchGroupedUsr, "bench-group-05"), names(n, 2))
			return err
		}
	}
	for name, read := range reads {
		for range 20 {
			require.NoError(t, read(), name)
		}
	}
	rows, err := d.sqlDB.QueryContext(ctx, "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
	require.NoError(t, err)
	defer rows.Close()
	seen, batches := 0, 0
	for rows.Next() {
		var stmt string
		var generic, custom int
		require.NoError(t, rows.Scan(&stmt, &generic, &custom))
		if !strings.Contains(stmt, "FROM waffle_") || !strings.HasPrefix(strings.TrimSpace(stmt), "SELECT") && !strings.HasPrefix(strings.TrimSpace(stmt), "--") {
			continue
		}
		seen++
		if strings.Contains(stmt, "unnest((SELECT $1::text[])::text[]) AS n (name)") {
			batches++
		}
		require.LessOrEqual(t, custom, 5, "planned at every call (%d custom plans, %d generic):\n%s", custom, generic, stmt)
	}
	require.NoError(t, rows.Err())
	require.GreaterOrEqual(t, seen, 6, "the reads' prepared statements")
	require.Equal(t, 2, batches, "the batch statements prepared: batch_eval_flags and batch_eval")
}

// batch_eval_flags, the statement of a request that reads flags and
// switches, locks at most the 16 relations a PostgreSQL session locks on
// its fast path (FP_LOCK_SLOTS_PER_BACKEND): more go through the shared
// lock table, whose partition locks concurrent requests wait on. The
// relations counted are those its generic plan, reused, locks in a
// transaction.
func TestBatchStatementLocksFitTheFastPath(t *testing.T) {
	t.Parallel()
	d := newBenchDB(t, testdb.Postgres, nil)
	d.seed(t)
	ctx := context.Background()
	q := query.For(d.store.Dialect())
	conn, err := d.sqlDB.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	args := pgLiterals(batchEvalArgs(testdb.Postgres, benchNames(30, 2), benchGroupedUsr, "staff", "beta-testers")[:4])
	for _, setup := range []string{"SET plan_cache_mode = force_generic_plan", "PREPARE waffle_locks AS " + q.SQL("batch_eval_flags")} {
		_, err := conn.ExecContext(ctx, setup)
		require.NoError(t, err, setup)
	}
	defer conn.ExecContext(ctx, "DEALLOCATE waffle_locks; RESET plan_cache_mode") //nolint:errcheck // best effort
	// Planned once, outside the transaction: the planner locks every index
	// of the tables it considers; a reused plan locks those it uses.
	_, err = conn.ExecContext(ctx, "EXECUTE waffle_locks("+args+")")
	require.NoError(t, err)
	tx, err := conn.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // read only
	n := func() int {
		rows, err := tx.QueryContext(ctx, "EXECUTE waffle_locks("+args+")")
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		require.NoError(t, rows.Err())
		return n
	}()
	require.Equal(t, 32, n, "rows of 30 flags and 2 switches")
	var locked int
	var names string
	require.NoError(t, tx.QueryRowContext(ctx, `SELECT count(*), string_agg(relation::regclass::text, ' ' ORDER BY 1)
		FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation::regclass::text LIKE 'waffle%'`).Scan(&locked, &names))
	require.LessOrEqual(t, locked, 16, "relations locked: %s", names)
	require.GreaterOrEqual(t, locked, 10, "relations locked: %s", names)
}
