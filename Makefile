# One command runs medoffice with demo data (`make run`), one runs every test (`make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTANCE ?= instance
HOST ?= 127.0.0.1
PORT ?= 8400
VENDOR := core/medoffice/static/vendor
PLUGINS := $(wildcard plugins/*/pyproject.toml) examples/hello-plugin/pyproject.toml
export MEDOFFICE_INSTANCE := $(abspath $(INSTANCE))

.PHONY: run setup venv assets test test-sqlite browser-deps bench clean

run: setup
	@$(BIN)/medoffice demo-instance --size small --admin-user admin --url http://$(HOST):$(PORT)/
	$(BIN)/medoffice serve --host $(HOST) --port $(PORT)

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $@

assets: $(VENDOR)/htmx.min.js

$(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and cannot be installed here: browser tests will be skipped"; fi; \
	fi

test: setup browser-deps
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# Benchmarks print ratios against floors measured in the same run (benchmarks/README.md); the large
# demo instance they read is built once and kept.
BENCH_INSTANCE ?= /tmp/medoffice-bench
bench: setup
	@test -f $(BENCH_INSTANCE)/medoffice.toml || { \
	  MEDOFFICE_ADMIN_PASSWORD=Large-demo-benchmark-passphrase-9 $(BIN)/medoffice --instance $(BENCH_INSTANCE) init --admin-user admin && \
	  $(BIN)/medoffice --instance $(BENCH_INSTANCE) demo --size large; }
	$(BIN)/python benchmarks/pages.py --instance $(BENCH_INSTANCE)
	$(BIN)/python benchmarks/billing_reports.py --instance $(BENCH_INSTANCE)
	$(BIN)/python benchmarks/billing_x12.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
