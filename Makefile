# Patchmap: `make run` sets everything up and serves the app; `make test` sets up and runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export PORT

# DATABASE_URL: use the caller's (an existing PostGIS), else start the project-local cluster.
LOCALDB = scripts/localdb

.PHONY: run test stop venv db lint bench bench-lookup clean-db help npm-deps gis-deps bench-deps

help:
	@echo "make run    set up (venv, PostGIS, database, demo data) and serve on http://127.0.0.1:$(PORT)"
	@echo "make test   set up and run the whole test suite against a separate test database"
	@echo "make stop   stop the project-local database"
	@echo "make lint   ruff and mypy"
	@echo "make bench  run the benchmarks (reads ../shared/data) and update BENCHMARKS.md"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Patchmap needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

db: $(STAMP)
	@if [[ -n "$${DATABASE_URL:-}" ]]; then echo "using DATABASE_URL from the environment"; else $(LOCALDB) start >/dev/null; fi

run: db
	@export DATABASE_URL="$${DATABASE_URL:-$$($(LOCALDB) url patchmap)}"; \
	$(BIN)/patchmap db upgrade && \
	$(BIN)/patchmap demo --if-empty && \
	export PATCHMAP_SUBMISSION_SECRET="$${PATCHMAP_SUBMISSION_SECRET:-$$(scripts/local-secret submission_secret)}" && \
	exec $(BIN)/patchmap serve --port $(PORT)

test: db
	@$(MAKE) --no-print-directory browser-deps
	@$(MAKE) --no-print-directory npm-deps
	@$(MAKE) --no-print-directory gis-deps
	@export PATCHMAP_TEST_DATABASE_URL="$${PATCHMAP_TEST_DATABASE_URL:-$${DATABASE_URL:-$$($(LOCALDB) url patchmap_test)}}"; \
	$(BIN)/ruff check layers mapping api tests bench && \
	$(BIN)/ruff format --check layers mapping api tests bench && \
	$(BIN)/mypy layers mapping api && \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's Chromium drives the browser tests (Playwright's own browser download is not allowed here).
browser-deps:
	@if [[ ! -x /usr/bin/chromium ]]; then \
	  if [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; \
	fi

# Debian's GDAL command-line tools: the export tests open every export with
# ogrinfo, and GDAL's OAPIF driver reads the OGC API (tests/api/test_ogc_features.py), as a council's GIS would.
gis-deps:
	@if ! command -v ogrinfo >/dev/null; then \
	  if [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's gdal-bin for the export and OGC API tests"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin >/dev/null; \
	  else echo "The export and OGC API tests need GDAL's ogrinfo: sudo apt-get install gdal-bin"; exit 1; fi; \
	fi

# tipg (PyPI), the peer of bench/ogc_features.py, in a venv of its own: its pins differ from ours.
TIPG_VENV := .venv-tipg
bench-deps: $(TIPG_VENV)/.installed

$(TIPG_VENV)/.installed:
	@test -x $(TIPG_VENV)/bin/python || $(PYTHON) -m venv $(TIPG_VENV)
	$(TIPG_VENV)/bin/python -m pip install --quiet "tipg==1.6.1" "uvicorn[standard]>=0.30"
	@touch $@

# The OpenActive validators the feed tests run (tests/openactive/validate.js) and Leaflet.VectorGrid (the app
# serves its vendored copy; tests/mapping/test_map_page.py checks it against this install), pinned in package-lock.json:
# `npm ci` runs only when the lock is newer than the install's own stamp, so a test run fetches nothing.
npm-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's nodejs and npm for the OpenActive feed tests"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "The OpenActive feed tests need Node.js 18+ and npm: sudo apt-get install nodejs npm"; exit 1; fi; \
	fi
	npm ci --no-audit --no-fund
	@touch $@

stop:
	@$(LOCALDB) stop

lint: $(STAMP)
	$(BIN)/ruff check layers mapping api tests bench
	$(BIN)/ruff format --check layers mapping api tests bench
	$(BIN)/mypy layers mapping api

bench: db
	@$(MAKE) --no-print-directory browser-deps
	@export DATABASE_URL="$${DATABASE_URL:-$$($(LOCALDB) url patchmap)}"; \
	$(BIN)/python bench/lookup.py --fresh && \
	$(BIN)/python bench/sample_assets.py && \
	$(BIN)/python bench/nearby.py && \
	$(BIN)/python bench/free_rooms.py && \
	$(BIN)/python bench/overlay.py && \
	$(BIN)/python bench/access.py && \
	$(BIN)/python bench/booking.py && \
	$(BIN)/python bench/sample_assets.py --norwich && \
	$(BIN)/python bench/map_page.py && \
	$(BIN)/python bench/setup.py
