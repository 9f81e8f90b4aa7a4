# Development tasks for github.com/gowaffle/waffle. `make help` lists them.
#
# PostgreSQL test cases need a server: `make test` and `make bench` start a
# throwaway one with scripts/with-postgres (or use WAFFLE_TEST_POSTGRES_DSN if
# it is set). Without a server those cases are skipped, except under CI=true.

GO        ?= go
TESTFLAGS ?=
COUNT     ?= 10
FUZZTIME  ?= 30s
SOAK_DURATION ?= 10m

WITH_PG := scripts/with-postgres
# PgBouncer (transaction pooling) in front of the throwaway PostgreSQL; it
# starts that server itself when WAFFLE_TEST_POSTGRES_DSN is unset.
WITH_PGBOUNCER := scripts/with-pgbouncer
# A streaming standby of that server, for the read-replica tests, which live
# in a module of their own (they need gorm.io/plugin/dbresolver).
WITH_REPLICA := scripts/with-replica
REPLICA_MOD := internal/replicatest
STATICCHECK_VERSION := v0.8.2

.DEFAULT_GOAL := help
.PHONY: help test test-sqlite bench bench-smoke bench-all lint fuzz soak

help: ## List the targets
	@echo "Targets (variables: TESTFLAGS, COUNT=$(COUNT), FUZZTIME=$(FUZZTIME), SOAK_DURATION=$(SOAK_DURATION)):"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

test: ## go vet, then every test with -race on SQLite, a throwaway PostgreSQL (with PgBouncer and a replica) and headless Chromium
	@start=$$(date +%s); rc=0; \
	( set -x; \
	  $(GO) vet ./... && (cd $(REPLICA_MOD) && $(GO) vet ./...) && \
	  scripts/ensure-chromium && \
	  $(WITH_PGBOUNCER) $(WITH_REPLICA) sh -c '$(GO) test -race -count=1 $(TESTFLAGS) ./... && \
	    cd $(REPLICA_MOD) && $(GO) test -race -count=1 $(TESTFLAGS) ./...' ) || rc=$$?; \
	if [ $$rc -eq 0 ]; then result=passed; else result=FAILED; fi; \
	echo "make test: $$result in $$(( $$(date +%s) - start ))s" >&2; \
	exit $$rc

soak: ## SOAK_DURATION (10m) of mixed load from 4 processes while PostgreSQL restarts twice and PgBouncer once; prints a report (not in test)
	SOAK_DURATION=$(SOAK_DURATION) scripts/soak

test-sqlite: ## every test with -race, SQLite only (PostgreSQL cases are skipped)
	env -u WAFFLE_TEST_POSTGRES_DSN $(GO) test -race $(TESTFLAGS) ./...

bench: ## the read path beside hand-written SQL and naive GORM, COUNT interleaved rounds (about 15 min); writes BENCHMARKS.md
	BENCH_ROUNDS=$(COUNT) $(WITH_PG) scripts/bench

bench-smoke: ## every side-by-side benchmark once (-benchtime=1x, bulk writes excluded): do the implementations agree?
	$(WITH_PG) $(GO) test -run '^$$' -bench '^Benchmark(Read|ParallelRead)$$|^BenchmarkWrite$$/./op=Set$$' -benchtime=1x .

bench-all: ## every benchmark of every package, COUNT times each (raw go test output)
	$(WITH_PG) $(GO) test -run '^$$' -bench . -benchmem -count=$(COUNT) ./...

lint: ## gofmt -l, go vet, and staticcheck if installed
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt -l: these files need gofmt -w:" >&2; echo "$$unformatted" >&2; exit 1; \
	fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then \
		echo "staticcheck ./..."; staticcheck ./...; \
	else \
		echo "lint: staticcheck not found on PATH, skipped; install it with:" >&2; \
		echo "  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)" >&2; \
	fi

fuzz: ## run each Fuzz* target of the root package for FUZZTIME
	@list=$$($(GO) test -list '^Fuzz' .) || { echo "$$list" >&2; exit 1; }; \
	targets=$$(echo "$$list" | grep '^Fuzz' || true); \
	if [ -z "$$targets" ]; then echo "fuzz: no Fuzz targets in the root package"; exit 0; fi; \
	for t in $$targets; do \
		echo "== $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) . || exit 1; \
	done
