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
	bench-search bench-reports bench-relevance bench-profile prod-tools prod-up prod-down prod-status drills \
	backup restore clean

help:
	@echo "make run    - set up everything and serve the portal with demo content at http://$(HOST):$(PORT)"
	@echo "make test   - lint, migration check, and the whole test suite on SQLite and PostgreSQL"
	@echo "make bench  - load test under gunicorn and search latency; writes bench/RESULTS.md (~20 min)"
	@echo "make prod-up / prod-down - the production topology on this machine (nginx, 2 app servers,"
	@echo "             PostgreSQL primary and replica, Redis, object store); make drills breaks it"

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

# What the benchmarks need from Debian when it is missing: the load generator (wrk), Redis, the
# PostgreSQL server, gettext for the translations.
bench-tools:
	@missing=(); \
	command -v wrk >/dev/null 2>&1 || missing+=(wrk); \
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); \
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
# BENCH_TARGET=prod: the same through nginx of the running production topology (make prod-up),
# with Redis, the object store and the replica; writes bench/RESULTS-prod.md.
bench-http: install bench-tools messages
	@if [ "$(BENCH_TARGET)" = prod ]; then \
		BENCH_TARGET=prod $(PY) bench/http_bench.py; \
	else \
		$(PY) -m tests.pgcluster -- $(PY) bench/http_bench.py; \
	fi

# Repository search latency on PostgreSQL with 10,000 resources (a throwaway cluster).
bench-search: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/search_latency.py

# Search quality: real WHO records and queries, scored on PostgreSQL and on SQLite (seconds).
bench-relevance: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/relevance.py
	$(PY) bench/relevance.py

# Where the time of each kind of page goes, made from scratch (bench/PROFILE.md; not in `bench`).
bench-profile: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/profile_pages.py

# The staff reports' response time on the benchmark data (a throwaway cluster; not in `bench`).
bench-reports: install bench-tools
	$(PY) -m tests.pgcluster -- $(PY) bench/report_latency.py

# --- The production topology on this machine (deploy/local/, README "Deploying") ----------------

# What it needs from Debian when it is missing: nginx, Redis, supervisor, iproute2 (network
# namespaces), the PostgreSQL server and gettext.
prod-tools:
	@missing=(); \
	command -v nginx >/dev/null 2>&1 || missing+=(nginx-light); \
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); \
	command -v supervisord >/dev/null 2>&1 || missing+=(supervisor); \
	command -v ip >/dev/null 2>&1 || missing+=(iproute2); \
	command -v setpriv >/dev/null 2>&1 || missing+=(util-linux); \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib); \
	command -v msgfmt >/dev/null 2>&1 || missing+=(gettext); \
	if [ $${#missing[@]} -gt 0 ]; then \
		echo "Installing: $${missing[*]}"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends "$${missing[@]}"; \
	fi

# About a minute and a half: starts every host and prints the address and the demo sign-ins.
prod-up: install messages prod-tools
	@$(PY) deploy/local/topology.py up

prod-down:
	@$(PY) deploy/local/topology.py down

prod-status:
	@$(PY) deploy/local/topology.py status

# The failure drills (about 3 minutes, plus prod-up when no topology is running, which they then
# stop again); a table of what each drill broke, what people saw and what was lost.
drills: install messages prod-tools
	@$(PY) deploy/local/drills.py

# A backup of the running topology (pg_dump of a snapshot, a copy of both buckets) in
# var/backups/<time>/; `make restore` starts a fresh topology from the latest (or BACKUP=dir).
backup: install
	@env_file=$$($(PY) deploy/local/topology.py env-file) && \
		ENV_FILE=$$env_file $(PY) deploy/backup.py backup $(BACKUP)

restore: install messages prod-tools
	@backup="$(BACKUP)"; \
	if [ -z "$$backup" ]; then backup=$$(ls -d var/backups/*/ 2>/dev/null | sort | tail -1); fi; \
	if [ -z "$$backup" ]; then echo "No backup in var/backups/ (make backup makes one)." >&2; exit 1; fi; \
	$(PY) deploy/local/topology.py up --from-backup "$$backup"

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .ruff_cache
