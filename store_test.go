package waffle

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle/internal/testdb"
)

// New validates the config and nothing else: it sends no statement, so it
// creates no table, on a database that was never migrated.
func TestNewSendsNoStatement(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		gdb, counter := db.OpenCounting(t)
		for _, cfg := range []*Config{nil, {CreateMissingFlags: true, MissingFlagHandling: Exception, Override: true}} {
			s, err := New(gdb, cfg)
			require.NoError(t, err)
			require.NotNil(t, s)
		}
		_, err := New(gdb, &Config{MissingFlagHandling: "nope"})
		require.ErrorIs(t, err, ErrInvalidConfig)
		require.Zero(t, counter.Count(), "New sent %v", counter.Statements())
		require.False(t, gdb.Migrator().HasTable("waffle_switch"), "no DDL before Migrate")
		require.False(t, gdb.Migrator().HasTable("waffle_schema_version"), "no DDL before Migrate")
	})
}
