package openfeature_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	of "github.com/open-feature/go-sdk/openfeature"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gowaffle/waffle"
	waffleof "github.com/gowaffle/waffle/openfeature"
)

// metricsHook counts evaluations in an OpenTelemetry counter, by flag key,
// reason, variant and error code (OpenTelemetry's feature_flag.* names).
type metricsHook struct {
	of.UnimplementedHook
	evaluations metric.Int64Counter
}

func (h *metricsHook) Finally(ctx context.Context, _ of.HookContext, d of.InterfaceEvaluationDetails, _ of.HookHints) {
	h.evaluations.Add(ctx, 1, metric.WithAttributes(
		attribute.String("feature_flag.key", d.FlagKey),
		attribute.String("feature_flag.result.reason", string(d.Reason)),
		attribute.String("feature_flag.result.variant", d.Variant),
		attribute.String("error.type", string(d.ErrorCode)),
	))
}

// A hook that records OpenTelemetry metrics of every evaluation.
func Example_openTelemetryMetrics() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "waffle-otel")
	defer os.RemoveAll(dir)
	db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "app.db")+"?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL"),
		&gorm.Config{Logger: logger.Discard})
	if err != nil {
		panic(err)
	}
	provider, err := waffleof.New(db, nil)
	if err != nil {
		panic(err)
	}
	store := provider.Store()
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	_, _ = store.Ensure(ctx, waffle.Seed{Flags: []waffle.Flag{{Name: "beta", Users: []string{"ada"}}}})

	// The application's meter provider; a manual reader stands in for an exporter.
	reader := sdkmetric.NewManualReader()
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	counter, _ := meters.Meter("example").Int64Counter("feature_flag.evaluations")

	if err := of.SetNamedProviderAndWait("otel-example", provider); err != nil {
		panic(err)
	}
	defer func() { _ = of.SetNamedProviderAndWait("otel-example", of.NoopProvider{}) }()
	client := of.NewClient("otel-example")
	client.AddHooks(&metricsHook{evaluations: counter})

	for _, user := range []string{"ada", "bob", "ada"} {
		_, _ = client.BooleanValue(ctx, "beta", false, of.NewEvaluationContext(user, nil))
	}
	_, _ = client.BooleanValue(ctx, "gamma", false, of.EvaluationContext{})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				key, _ := dp.Attributes.Value("feature_flag.key")
				reason, _ := dp.Attributes.Value("feature_flag.result.reason")
				errType, _ := dp.Attributes.Value("error.type")
				lines = append(lines, fmt.Sprintf("%s %s %q: %d", key.AsString(), reason.AsString(), errType.AsString(), dp.Value))
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// beta DEFAULT "": 1
	// beta TARGETING_MATCH "": 2
	// gamma ERROR "FLAG_NOT_FOUND": 1
}
