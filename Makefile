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
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(shell $(GO) env GOPATH)/bin/golangci-lint
# PgBouncer (transaction pooling) in front of the throwaway PostgreSQL; it
# starts that server itself when WAFFLE_TEST_POSTGRES_DSN is unset.
WITH_PGBOUNCER := scripts/with-pgbouncer
# A streaming standby of that server, for the read-replica tests, which live
# in a module of their own (they need gorm.io/plugin/dbresolver).
WITH_REPLICA := scripts/with-replica

.DEFAULT_GOAL := help
.PHONY: help test test-sqlite bench bench-smoke bench-all lint fuzz soak

help: ## List the targets
	@echo "Targets (variables: TESTFLAGS, COUNT=$(COUNT), FUZZTIME=$(FUZZTIME), SOAK_DURATION=$(SOAK_DURATION)):"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# The modules of the workspace (go.work): the library at the root, the
# benchmarks, the browser tests, the CLI. Each is vetted and tested on its own.
MODULES = $(shell $(GO) list -m -f '{{.Dir}}')

test: ## go vet, golangci-lint and every test with -race, for every module of go.work, on SQLite, a throwaway PostgreSQL (with PgBouncer and a streaming replica) and headless Chromium; then the consumer-module check
	@start=$$(date +%s); rc=0; \
	( set -x; \
	  for m in $(MODULES); do (cd "$$m" && $(GO) vet ./...) || exit 1; done && \
	  $(MAKE) --no-print-directory lint && \
	  scripts/ensure-chromium && \
	  $(WITH_PGBOUNCER) $(WITH_REPLICA) sh -c 'for m in $(MODULES); do (cd "$$m" && $(GO) test -race -count=1 $(TESTFLAGS) ./...) || exit 1; done' && \
	  scripts/check-consumer ) || rc=$$?; \
	if [ $$rc -eq 0 ]; then result=passed; else result=FAILED; fi; \
	echo "make test: $$result in $$(( $$(date +%s) - start ))s" >&2; \
	exit $$rc

soak: ## SOAK_DURATION (10m) of mixed load from 4 processes while PostgreSQL restarts twice and PgBouncer once; prints a report (not in test)
	SOAK_DURATION=$(SOAK_DURATION) scripts/soak

test-sqlite: ## every test of every module with -race, SQLite only (PostgreSQL cases are skipped)
	for m in $(MODULES); do (cd "$$m" && env -u WAFFLE_TEST_POSTGRES_DSN $(GO) test -race $(TESTFLAGS) ./...) || exit 1; done

bench: ## the read path beside hand-written SQL and naive GORM, COUNT interleaved rounds (about 15 min); writes BENCHMARKS.md, raw output in bench/out
	BENCH_ROUNDS=$(COUNT) $(WITH_PG) scripts/bench

bench-smoke: ## every side-by-side benchmark once (-benchtime=1x, bulk writes excluded): do the implementations agree?
	$(WITH_PG) $(GO) test -run '^$$' -bench '^Benchmark(Read|ParallelRead)$$|^BenchmarkWrite$$/./op=Set$$' -benchtime=1x ./bench

bench-all: ## every benchmark of every module, COUNT times each (raw go test output)
	$(WITH_PG) sh -c 'for m in $(MODULES); do (cd "$$m" && $(GO) test -run "^$$" -bench . -benchmem -count=$(COUNT) ./...) || exit 1; done'

lint: ## golangci-lint (.golangci.yml, installed at the pinned version when missing) in every module of go.work
	@if ! $(GOLANGCI_LINT) version 2>/dev/null | grep -q 'version $(GOLANGCI_LINT_VERSION:v%=%) '; then \
		echo "$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)"; \
		$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) || exit 1; \
	fi
	@if [ -f go.work ]; then mods=$$($(GO) list -m -f '{{.Dir}}'); else mods=.; fi; \
	rc=0; for m in $$mods; do \
		echo "golangci-lint run ./... in $$m"; \
		( cd "$$m" && $(GOLANGCI_LINT) run --allow-parallel-runners ./... ) || rc=1; \
	done; exit $$rc

fuzz: ## run each Fuzz* target of the root package for FUZZTIME (the library's fuzz targets live there)
	@list=$$($(GO) test -list '^Fuzz' .) || { echo "$$list" >&2; exit 1; }; \
	targets=$$(echo "$$list" | grep '^Fuzz' || true); \
	if [ -z "$$targets" ]; then echo "fuzz: no Fuzz targets in the root package"; exit 0; fi; \
	for t in $$targets; do \
		echo "== $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) . || exit 1; \
	done

# --- Django mode (issue 16): its tests run the real Django 3.2 and
# django-waffle 3.0 (Debian packages, installed when missing); `make test`
# runs them with every other test.
.PHONY: django-deps test-django
test: django-deps

django-deps: ## install Debian's python3-django and python3-django-waffle when missing (scripts/ensure-django)
	scripts/ensure-django

test-django: django-deps ## the Django-mode tests only, on SQLite and a throwaway PostgreSQL
	$(WITH_PG) $(GO) test -race -count=1 $(TESTFLAGS) -run '^TestDjango' .
