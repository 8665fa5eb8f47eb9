# LPA Portal: `make run` serves the portal with demo content; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
# Local development defaults; real environment variables (or a .env file) win.
# The port reaches the settings, so that links in emails and certificates use it (SITE_URL).
DEV_ENV := DEBUG=$${DEBUG:-true} PORT=$(PORT)

.PHONY: help install messages run test lint test-sqlite test-postgres bench bench-tools bench-http \
	bench-search bench-reports bench-relevance clean

help:
	@echo "make run    - set up everything and serve the portal with demo content at http://$(HOST):$(PORT)"
	@echo "make test   - lint, migration check, and the whole test suite on SQLite and PostgreSQL"
	@echo "make bench  - load test under gunicorn and search latency; writes bench/RESULTS.md (~20 min)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Compiled translation catalogues are built, not committed.
messages: install
	@$(DEV_ENV) $(PY) manage.py compilemessages --ignore=.venv -v 0

run: install messages
	@$(DEV_ENV) $(PY) manage.py migrate --no-input -v 0
	@$(DEV_ENV) $(PY) manage.py seed_demo
	@echo
	@echo "  LPA Portal is starting at http://$(HOST):$(PORT)/"
	@echo "  Sign in as the demo staff user: staff@lpa-portal.example / lpa-demo-staff"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/   (Ctrl+C stops the server)"
	@echo
	@$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

test: lint messages test-sqlite test-postgres

test-sqlite: install
	$(VENV)/bin/pytest -m "not postgres"

# A throwaway PostgreSQL cluster is started and stopped around the run (never as root).
# With REQUIRE_POSTGRES=1 (CI) missing server binaries fail the run instead of skipping it.
test-postgres: install
	@if $(PY) -m tests.pgcluster --check; then \
		$(PY) -m tests.pgcluster -- $(VENV)/bin/pytest -m "not browser"; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL server binaries not found, and REQUIRE_POSTGRES is set." >&2; exit 1; \
	else \
		echo "PostgreSQL server binaries not found: the PostgreSQL pass is skipped (CI runs it)."; \
	fi

# Not part of `make test` or CI: it takes about 20 minutes and its figures depend on the machine.
bench: install bench-http bench-search

# What the benchmarks need from Debian when it is missing: the load generator (wrk), the
# PostgreSQL server, gettext for the translations.
bench-tools:
	@missing=(); \
	command -v wrk >/dev/null 2>&1 || missing+=(wrk); \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib); \
	command -v msgfmt >/dev/null 2>&1 || missing+=(gettext); \
	if [ $${#missing[@]} -gt 0 ]; then \
		echo "Installing: $${missing[*]}"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends "$${missing[@]}"; \
	fi

# The portal under gunicorn with production settings, load-tested with wrk at concurrency 8, on
# the bulk data in a throwaway PostgreSQL cluster, and the registration storm (bench/http_bench.py).
bench-http: install bench-tools messages
	$(PY) -m tests.pgcluster -- $(PY) bench/http_bench.py

# Repository search latency on PostgreSQL with 10,000 resources (a throwaway cluster).
bench-search: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/search_latency.py

# Search quality: real WHO records and queries, scored on PostgreSQL and on SQLite (seconds).
bench-relevance: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/relevance.py
	$(PY) bench/relevance.py

# The staff reports' response time on the benchmark data (a throwaway cluster; not in `bench`).
bench-reports: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/report_latency.py

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .ruff_cache
