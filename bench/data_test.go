package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

// The benchmarks' data, the same on both databases, written with plain SQL
// so that it does not depend on the API being measured. Every table holds
// enough rows that a read without an index would show (TestReadPlansUseIndexes
// checks the plans on this data).
const (
	benchOthers       = 2000 // switches, samples and string flags besides the benchmarked ones
	benchGroups       = 50   // groups listed on each benchmarked flag
	benchGroupMembers = 100  // members of each group
	benchLargeUsers   = 10000
	benchSmallUsers   = 10
	benchFlagPercent  = 50.0
	benchOtherFlags   = 500  // flags besides the two benchmarked, each with...
	benchOtherUsers   = 5    // ...listed users and...
	benchOtherGroups  = 2    // ...groups out of benchSpareGroups of...
	benchSpareGroups  = 2000 // ...groups not on the benchmarked flags, with...
	benchSpareMembers = 5    // ...members each
)

// Names in the benchmarks' data.
const (
	benchSwitch     = "bench-switch"    // active
	benchSample     = "bench-sample"    // percent 100: always on
	benchString     = "bench-string"    // "blue"
	benchMissing    = "bench-missing"   // no row of any kind
	benchGroupedIn  = "bench-group-37"  // the group that matches benchGroupedUser
	benchGroupedUsr = "user-grouped"    // member of benchGroupedIn, listed on no flag
	benchStranger   = "user-stranger"   // in no group, listed nowhere: the percent bucket decides
	benchListedUser = "user-listed-007" // listed on both flags
)

// benchFlag returns the name of the flag with users listed users.
func benchFlag(users int) string { return fmt.Sprintf("bench-flag-users-%d", users) }

// seed writes the benchmarks' data into d.
func (d *benchDB) seed(tb testing.TB) {
	tb.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond) // as the library stores times

	var switches, samples, strs [][]any
	switches = append(switches, []any{benchSwitch, true, now, now})
	samples = append(samples, []any{benchSample, 100.0, now, now})
	strs = append(strs, []any{benchString, "blue", now, now})
	for i := range benchOthers {
		switches = append(switches, []any{fmt.Sprintf("other-switch-%05d", i), i%2 == 0, now, now})
		samples = append(samples, []any{fmt.Sprintf("other-sample-%05d", i), float64(i % 101), now, now})
		strs = append(strs, []any{fmt.Sprintf("other-string-%05d", i), fmt.Sprint(i), now, now})
	}
	d.insert(tb, "waffle_switch", []string{"name", "active", "created", "modified"}, switches)
	d.insert(tb, "waffle_sample", []string{"name", "percent", "created", "modified"}, samples)
	d.insert(tb, "waffle_string_flag", []string{"name", "value", "created", "modified"}, strs)

	// Groups with members; benchGroupedUsr is in benchGroupedIn only.
	var groups [][]any
	for g := range benchGroups {
		groups = append(groups, []any{fmt.Sprintf("bench-group-%02d", g), now})
	}
	for g := range benchSpareGroups {
		groups = append(groups, []any{fmt.Sprintf("spare-group-%04d", g), now})
	}
	d.insert(tb, "waffle_group", []string{"name", "created"}, groups)
	groupIDs := d.ids(tb, "waffle_group")
	var members [][]any
	for g := range benchGroups {
		name := fmt.Sprintf("bench-group-%02d", g)
		for m := range benchGroupMembers {
			members = append(members, []any{groupIDs[name], fmt.Sprintf("user-member-%02d-%03d", g, m)})
		}
		if name == benchGroupedIn {
			members = append(members, []any{groupIDs[name], benchGroupedUsr})
		}
	}
	for g := range benchSpareGroups {
		for m := range benchSpareMembers {
			members = append(members, []any{groupIDs[fmt.Sprintf("spare-group-%04d", g)], fmt.Sprintf("user-spare-%04d-%d", g, m)})
		}
	}
	d.insert(tb, "waffle_group_member", []string{"group_id", "user_id"}, members)

	// Two flags alike but for the number of listed users.
	var flags [][]any
	for _, n := range []int{benchSmallUsers, benchLargeUsers} {
		flags = append(flags, []any{benchFlag(n), benchFlagPercent, now, now})
	}
	for f := range benchOtherFlags {
		flags = append(flags, []any{fmt.Sprintf("other-flag-%03d", f), float64(f % 100), now, now})
	}
	d.insert(tb, "waffle_flag", []string{"name", "percent", "created", "modified"}, flags)
	flagIDs := d.ids(tb, "waffle_flag")
	var users, flagGroups [][]any
	for f := range benchOtherFlags {
		id := flagIDs[fmt.Sprintf("other-flag-%03d", f)]
		for u := range benchOtherUsers {
			users = append(users, []any{id, fmt.Sprintf("user-other-%03d-%d", f, u)})
		}
		for g := range benchOtherGroups {
			spare := fmt.Sprintf("spare-group-%04d", (f*benchOtherGroups+g)%benchSpareGroups)
			flagGroups = append(flagGroups, []any{id, groupIDs[spare]})
		}
	}
	for _, n := range []int{benchSmallUsers, benchLargeUsers} {
		id := flagIDs[benchFlag(n)]
		for u := range n {
			users = append(users, []any{id, fmt.Sprintf("user-listed-%03d", u)})
		}
		for g := range benchGroups {
			flagGroups = append(flagGroups, []any{id, groupIDs[fmt.Sprintf("bench-group-%02d", g)]})
		}
	}
	d.insert(tb, "waffle_flag_user", []string{"flag_id", "user_id"}, users)
	d.insert(tb, "waffle_flag_group", []string{"flag_id", "group_id"}, flagGroups)
	// The other flags have time windows, never synced yet: a sync state
	// each (evaluation probes it for the flag's synced group).
	var syncs [][]any
	for f := range benchOtherFlags {
		syncs = append(syncs, []any{flagIDs[fmt.Sprintf("other-flag-%03d", f)], true})
	}
	d.insert(tb, "waffle_flag_sync", []string{"flag_id", "dirty"}, syncs)

	d.exec(tb, "ANALYZE") // planner statistics, as a database in service has them
}

// insert writes rows into table, a few hundred per statement.
func (d *benchDB) insert(tb testing.TB, table string, cols []string, rows [][]any) {
	tb.Helper()
	const perStatement = 500
	for len(rows) > 0 {
		n := min(len(rows), perStatement)
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, n*len(cols))
		for i, row := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for j := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				args = append(args, row[j])
				fmt.Fprintf(&q, "$%d", len(args))
			}
			q.WriteString(")")
		}
		d.exec(tb, q.String(), args...)
		rows = rows[n:]
	}
}

// ids returns the id of every row of table by name.
func (d *benchDB) ids(tb testing.TB, table string) map[string]int64 {
	tb.Helper()
	rows, err := d.sqlDB.Query("SELECT id, name FROM " + table)
	require.NoError(tb, err)
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id int64
		var name string
		require.NoError(tb, rows.Scan(&id, &name))
		out[name] = id
	}
	require.NoError(tb, rows.Err())
	return out
}

// benchNames returns flags flags of the benchmarks' data (the benchmarked
// flag first, then other flags) and switches switches (the benchmarked
// switch, then others).
func benchNames(flags, switches int) waffle.Names {
	n := waffle.Names{Flags: []string{benchFlag(benchLargeUsers)}, Switches: []string{benchSwitch}}
	for i := 1; i < flags; i++ {
		n.Flags = append(n.Flags, fmt.Sprintf("other-flag-%03d", i))
	}
	for i := 1; i < switches; i++ {
		n.Switches = append(n.Switches, fmt.Sprintf("other-switch-%05d", i))
	}
	return n
}
