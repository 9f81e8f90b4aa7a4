package waffle

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The evaluation statement finds the flag and every membership through the
// primary keys and indexes: no table scan on SQLite, none on PostgreSQL when
// the planner is told to avoid them (its tables here are too small for it to
// choose indexes on its own).
func TestFlagEvalPlanUsesIndexes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		s := h.store(t, nil)
		for i := range 50 {
			n := strconv.Itoa(i)
			f := &Flag{Name: "f" + n, Users: []string{"u" + n, "v" + n}, Groups: []string{"g" + strconv.Itoa(i%5)}}
			if i%2 == 1 { // f7, the flag evaluated, has a ramp
				f.Ramp = LinearRamp(time.Now(), time.Now().Add(time.Hour), 0, 100)
			}
			require.NoError(t, s.SaveFlag(ctx, f))
			require.NoError(t, s.AddGroupMembers(ctx, "g"+strconv.Itoa(i%5), "m"+n))
		}
		sqlDB, err := s.db.DB()
		require.NoError(t, err)
		sqlDB.SetMaxOpenConns(1) // the session settings below hold for the EXPLAIN
		_, err = sqlDB.ExecContext(ctx, "ANALYZE")
		require.NoError(t, err)
		explain := "EXPLAIN QUERY PLAN "
		if s.Dialect() == "postgres" {
			_, err = sqlDB.ExecContext(ctx, "SET enable_seqscan = off")
			require.NoError(t, err)
			explain = "EXPLAIN "
		}
		rows, err := sqlDB.QueryContext(ctx, explain+s.q.SQL("flag_eval"), "f7", "m7", `["g1","g2"]`)
		require.NoError(t, err)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			if line, ok := vals[len(vals)-1].(string); ok {
				plan = append(plan, line)
			} else if b, ok := vals[len(vals)-1].([]byte); ok {
				plan = append(plan, string(b))
			}
		}
		require.NoError(t, rows.Err())
		text := strings.Join(plan, "\n")
		t.Log("\n" + text)
		require.NotEmpty(t, plan)
		for _, line := range plan {
			if s.Dialect() == "postgres" {
				require.NotContains(t, line, "Seq Scan", text)
			} else if strings.HasPrefix(line, "SCAN ") {
				require.Contains(t, line, "json_each", "only the request's group names are scanned:\n"+text)
			}
		}
		require.Contains(t, text, "waffle_flag", text)
	})
}
