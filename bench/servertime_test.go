package bench

import (
	"context"
	"database/sql"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gowaffle/waffle/internal/query"
	"github.com/gowaffle/waffle/internal/testdb"
)

// minimalFlagSQL is what a hand-written statement must read to evaluate a
// flag for a user on PostgreSQL, written as directly as the schema allows:
// the flag's row, the user listed (primary key), a listed group the user is
// a member of by hand (the partial index by user), and the flag's synced
// group (waffle_flag_sync's primary key, then the members' primary key).
const minimalFlagSQL = `SELECT f.everyone, f.percent, f.testing, f.superusers, f.staff, f.authenticated, f.languages, f.rollout, f.ramp,
    EXISTS (SELECT 1 FROM waffle_flag_user fu WHERE fu.flag_id = f.id AND fu.user_id = $2)
    OR EXISTS (SELECT 1 FROM waffle_group_member gm JOIN waffle_flag_group fg ON fg.group_id = gm.group_id AND fg.flag_id = f.id
               WHERE gm.user_id = $2 AND NOT gm.synced)
    OR EXISTS (SELECT 1 FROM waffle_flag_sync fs JOIN waffle_flag_group fg ON fg.flag_id = f.id AND fg.group_id = fs.group_id
               JOIN waffle_group_member gm ON gm.group_id = fs.group_id AND gm.user_id = $2 WHERE fs.flag_id = f.id)`

// minimalGroupsSQL is minimalFlagSQL with the request's extra group names
// ($3, text[]): their groups' IDs by name, probed on the flag.
const minimalGroupsSQL = minimalFlagSQL + `
    OR EXISTS (SELECT 1 FROM waffle_flag_group fg WHERE fg.flag_id = f.id
               AND fg.group_id = ANY (ARRAY(SELECT id FROM waffle_group WHERE name = ANY ($3::text[]))))`

// BenchmarkServerTime reports the server-side time of FlagIsActive's
// statement on PostgreSQL (the median "Execution Time" of EXPLAIN ANALYZE
// of the prepared statement, generic plan) beside minimalFlagSQL's, for an
// identified user with extra group names (flag_eval) and without
// (flag_eval_user). Both run alternately on one connection, so that the
// machine's load weighs on both alike: library-ns and minimal-ns are the
// medians, ratio is library-ns / minimal-ns. WAFFLE_BENCH_EXPLAIN=1 logs
// the plans.
func BenchmarkServerTime(b *testing.B) {
	d := newBenchDB(b, testdb.Postgres, nil)
	d.seed(b)
	ctx := context.Background()
	q := query.For("postgres")
	flag := benchFlag(benchLargeUsers)
	for _, c := range []struct {
		name, stmt, min string
		args, minArgs   []any
	}{
		{"GroupsAndUser", q.SQL("flag_eval"), minimalGroupsSQL,
			[]any{flag, benchStranger, flagEvalGroups(q, "bench-group-05-x", "other")},
			[]any{flag, benchStranger, "{bench-group-05-x,other}"}},
		{"User", q.SQL("flag_eval_user"), minimalFlagSQL, []any{flag, benchStranger}, []any{flag, benchStranger}},
	} {
		b.Run("db=Postgres/op=FlagIsActive/case="+c.name, func(b *testing.B) {
			conn, err := d.sqlDB.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			for _, setup := range []string{
				"SET plan_cache_mode = force_generic_plan",
				"PREPARE waffle_lib AS " + c.stmt,
				"PREPARE waffle_min AS " + c.min + " FROM waffle_flag f WHERE f.name = $1",
			} {
				if _, err := conn.ExecContext(ctx, setup); err != nil {
					b.Fatal(err)
				}
			}
			defer conn.ExecContext(ctx, "DEALLOCATE ALL; RESET plan_cache_mode") //nolint:errcheck // best effort
			lib := "EXPLAIN (ANALYZE, TIMING OFF) EXECUTE waffle_lib(" + pgLiterals(c.args) + ")"
			minimal := "EXPLAIN (ANALYZE, TIMING OFF) EXECUTE waffle_min(" + pgLiterals(c.minArgs) + ")"
			if os.Getenv("WAFFLE_BENCH_EXPLAIN") != "" {
				b.Logf("library:\n%s\nminimal:\n%s", explainText(b, conn, strings.Replace(lib, "TIMING OFF", "BUFFERS", 1)),
					explainText(b, conn, strings.Replace(minimal, "TIMING OFF", "BUFFERS", 1)))
			}
			var libT, minT []float64
			for b.Loop() {
				libT = append(libT, execNanos(b, explainText(b, conn, lib)))
				minT = append(minT, execNanos(b, explainText(b, conn, minimal)))
			}
			l, m := median(libT), median(minT)
			b.ReportMetric(l, "library-ns")
			b.ReportMetric(m, "minimal-ns")
			b.ReportMetric(l/m, "ratio")
		})
	}
}

// execNanos returns the Execution Time of an EXPLAIN ANALYZE, in ns.
func execNanos(b *testing.B, plan string) float64 {
	m := execTime.FindStringSubmatch(plan)
	if m == nil {
		b.Fatalf("no execution time in\n%s", plan)
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	return ms * 1e6
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// flagEvalGroups is flag_eval's group-names argument: a text[] literal when
// the statement takes one, else a JSON array.
func flagEvalGroups(q *query.Set, names ...string) string {
	if regexp.MustCompile(`\$3::text\[\]`).MatchString(q.SQL("flag_eval")) {
		return "{" + names[0] + "," + names[1] + "}"
	}
	return `["` + names[0] + `","` + names[1] + `"]`
}

var execTime = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)

// explainText runs an EXPLAIN on conn and returns its lines.
func explainText(b *testing.B, conn *sql.Conn, explain string) string {
	b.Helper()
	rows, err := conn.QueryContext(context.Background(), explain)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		out.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out.String()
}
