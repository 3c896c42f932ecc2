# One command runs medoffice with demo data (`make run`), one runs every test (`make test`),
# one builds the wheels and sdists an office box installs (`make dist`, into $(DIST)).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTANCE ?= instance
HOST ?= 127.0.0.1
PORT ?= 8400
STATIC := core/medoffice/static
VENDOR := $(STATIC)/vendor
PLUGINS := $(wildcard plugins/*/pyproject.toml) examples/hello-plugin/pyproject.toml
# What `make dist` builds: core and every duty-area plugin. examples/hello-plugin is an example for
# plugin authors, installed for development and tests only, never shipped to a practice.
DIST ?= dist
PRODUCTS := . $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
export MEDOFFICE_INSTANCE := $(abspath $(INSTANCE))

.PHONY: run setup venv assets dist test test-sqlite browser-deps bench bench-postgres clean

run: setup
	@$(BIN)/medoffice demo-instance --size small --admin-user admin --url http://$(HOST):$(PORT)/ --without hello
	$(BIN)/medoffice serve --host $(HOST) --port $(PORT)

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $@

# npm installs the lock file's packages only when it changed; the copy into static/vendor and its
# MANIFEST.json (SHA-256 of each file) are redone every time, so a deleted or edited file comes back.
assets: node_modules/.package-lock.json | $(VENV)/.installed
	$(BIN)/python -m medoffice.assets vendor . $(STATIC)
	$(BIN)/python -m medoffice.assets check core/medoffice

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

# Each product's sdist, then its wheel built from that sdist (so the sdist is known to be complete),
# two products at a time. The build backend (tools/medoffice_build_backend.py) refuses to build core
# without its assets.
dist: setup
	mkdir -p $(DIST)
	printf '%s\n' $(PRODUCTS) | xargs -P 2 -I '{}' $(BIN)/python -m build --quiet --outdir $(abspath $(DIST)) '{}'

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and cannot be installed here: browser tests will be skipped"; fi; \
	fi

# One pytest worker per core (pytest-xdist), each test file on one worker so its module fixtures (a
# browser, a served instance) are made once; on PostgreSQL each worker has a database of its own.
TEST_WORKERS ?= auto
test: setup browser-deps
	$(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Benchmarks print ratios against floors measured in the same run (benchmarks/README.md); the large
# demo instance they read is built once and kept. Each script appends its figures to one file; the
# summary prints every goal's figures in one table and fails when any is over (or missing).
# `make bench-postgres BENCH_DATABASE_URL=postgresql://...` measures the same pages on PostgreSQL
# (goal 6): the large demo is loaded into that database once, through its own instance folder.
BENCH_INSTANCE ?= /tmp/medoffice-bench
BENCH_PG_INSTANCE ?= /tmp/medoffice-bench-pg
BENCH_FIGURES ?= /tmp/medoffice-bench-figures.jsonl
BENCH_PASSWORD := Large-demo-benchmark-passphrase-9
bench: setup
	@test -f $(BENCH_INSTANCE)/medoffice.toml || { \
	  MEDOFFICE_ADMIN_PASSWORD=$(BENCH_PASSWORD) $(BIN)/medoffice --instance $(BENCH_INSTANCE) init --admin-user admin && \
	  $(BIN)/medoffice --instance $(BENCH_INSTANCE) demo --size large; }
	@rm -f $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/pages.py --instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/billing_reports.py --instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/billing_x12.py --from-instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/finance_reports.py --instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/finance_catchup.py --from-instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/marketing_reports.py --instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/hr_payroll.py --instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/compliance_screening.py --instance $(BENCH_INSTANCE) --figures $(BENCH_FIGURES)
	$(BIN)/python benchmarks/summary.py $(BENCH_FIGURES) --goals 1,2,3,4,5,13,14,15,16

bench-postgres: setup
	@test -n "$(BENCH_DATABASE_URL)" || { echo "set BENCH_DATABASE_URL=postgresql://..."; exit 2; }
	@test -f $(BENCH_PG_INSTANCE)/medoffice.toml || { \
	  MEDOFFICE_ADMIN_PASSWORD=$(BENCH_PASSWORD) $(BIN)/medoffice --instance $(BENCH_PG_INSTANCE) init --admin-user admin \
	    --database-url $(BENCH_DATABASE_URL) && \
	  $(BIN)/medoffice --instance $(BENCH_PG_INSTANCE) demo --size large; }
	@rm -f $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/pages.py --instance $(BENCH_PG_INSTANCE) --database-url $(BENCH_DATABASE_URL) \
	  --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/billing_reports.py --instance $(BENCH_PG_INSTANCE) --database-url $(BENCH_DATABASE_URL) \
	  --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/finance_reports.py --instance $(BENCH_PG_INSTANCE) --database-url $(BENCH_DATABASE_URL) \
	  --figures $(BENCH_FIGURES)
	-$(BIN)/python benchmarks/marketing_reports.py --instance $(BENCH_PG_INSTANCE) --database-url $(BENCH_DATABASE_URL) \
	  --figures $(BENCH_FIGURES)
	$(BIN)/python benchmarks/summary.py $(BENCH_FIGURES) --goals 6,13,16

clean:
	rm -rf $(VENV) node_modules $(VENDOR) dist
