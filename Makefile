# Kniga 03. `make run` serves the demo district; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run setup install-dev chromium test fuzz lint audit bench bench-db bench-routing bench-planning bench-import bench-load bench-scale bench-app messages migrate seed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-base: requirements/base.txt requirements/production.txt | $(VENV)/bin/python
	$(PIP) install -r requirements/base.txt -r requirements/production.txt
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed-base
	$(PIP) install -r requirements/dev.txt
	touch $@

setup: $(VENV)/.installed-base
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty

## Set everything up and serve the demo district at http://$(HOST):$(PORT)
run: setup
	@echo ""
	@echo "Kniga 03 is at http://$(HOST):$(PORT)/  (admin: /admin/, API docs: /api/docs/)"
	@echo "Demo accounts: librarian, operator, coordinator, volunteer1..volunteer6"
	@echo "Password: $$(DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-backend.config.settings.local} $(PY) -c 'import django; django.setup(); from django.conf import settings; print(settings.DEMO_PASSWORD)')"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

# Browser tests drive Debian's Chromium; install it when it is missing (as root, e.g. in CI).
chromium:
	@[ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n >/dev/null; \
	  else echo "Browser tests need Chromium: sudo apt-get install chromium chromium-l10n (or set CHROMIUM_PATH)"; fi; }
	@# Its Russian locale pack: time and date inputs read 24-hour in the screenshots.
	@[ -n "$${CHROMIUM_PATH}" ] || [ ! -x /usr/bin/chromium ] || [ -e /usr/lib/chromium/locales/ru.pak ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-l10n >/dev/null; \
	  else echo "Screenshots show English time inputs: sudo apt-get install chromium-l10n"; fi; }

## Install what the tests need and run the whole suite (DATABASE_URL picks the database)
test: $(VENV)/.installed-dev chromium
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

## Fuzz the staff and mobile APIs against their OpenAPI schema, far longer than `make test`
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} FUZZ_COVERAGE=all $(PY) -m pytest tests/fuzz $(PYTEST_ARGS)

## Style, and the import contract of the house (.importlinter: layers, no cycles)
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	PYTHONPATH=$(CURDIR) $(VENV)/bin/lint-imports --no-cache

## Known vulnerabilities in every pinned package (AUDIT_STRICT=1: also fail on unaudited ones)
audit: $(VENV)/.installed-dev
	$(PY) .ci/audit.py

## Benchmarks: they print their figures and write them under bench-results/
BENCH_DB := sqlite:///$(CURDIR)/bench-results/bench.sqlite3
SHARED ?= ../shared/benchmarks

bench: bench-routing bench-planning bench-import bench-app bench-load bench-scale

bench-db: $(VENV)/.installed-dev
	mkdir -p bench-results
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py migrate --noinput -v0

# Solomon (100 stops, 10 s each) and Homberger (200 and 400 stops, 30 s each) through the
# planner's solver, with vroom and OR-Tools in the same run.
bench-routing: $(VENV)/.installed-dev
	mkdir -p bench-results
	$(PY) manage.py bench_routing --instances $(SHARED)/solomon --time-limit 10 --peers vroom,ortools --json bench-results/solomon.json
	$(PY) manage.py bench_routing --instances $(SHARED)/homberger --time-limit 30 --peers vroom --json bench-results/homberger.json

# A district day (60 stops, 6 volunteers; at 3 s and at 60 s) and a city day (1,000 stops,
# 60 volunteers, 90 s), planned through the product's own path from the request to the routes
# written, with vroom and OR-Tools given the same day in the same run.
bench-planning: bench-db
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_planning --stops 60 60 1000 --volunteers 6 6 60 --time-limit 3 60 90 --peers vroom,ortools --json bench-results/planning.json

bench-import: bench-db
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_import

# The volunteers' app in Chromium at 360×640 with the CPU 4× slower, on a 40-stop route (a
# throwaway SQLite database and a live server of its own), and its shell against 150 KB gzip.
bench-app: $(VENV)/.installed-dev chromium
	mkdir -p bench-results
	$(PY) manage.py bench_app --runs 5 --json bench-results/app.json

# The service under gunicorn on PostgreSQL (its own database, kniga_load, made and dropped
# here) with a generated city, driven by locust; `$(PY) loadtest/run.py --help` for the knobs.
LOAD_ARGS ?=
bench-load: $(VENV)/.installed-dev
	$(PY) loadtest/run.py $(LOAD_ARGS)

# The desk's phone lookup and name search at national scale: 500,000 reader cards and
# 10,000,000 loans on PostgreSQL (its own database, kniga_bench_scale, made and dropped here);
# `$(PY) manage.py bench_scale --help` for the knobs (SCALE_ARGS="--keep", then "--reuse").
SCALE_POSTGRES ?= postgres://postgres@127.0.0.1:5432
SCALE_ARGS ?=
bench-scale: $(VENV)/.installed-dev
	mkdir -p bench-results
	DATABASE_URL=$(SCALE_POSTGRES)/kniga_bench_scale $(PY) manage.py bench_scale --out bench-results $(SCALE_ARGS)

messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages -l ru -l kk -l en --no-obsolete --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

migrate: $(VENV)/.installed-base
	$(PY) manage.py migrate

seed: $(VENV)/.installed-base
	$(PY) manage.py seed_demo

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
