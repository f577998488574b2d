# Kniga 03. `make run` serves the demo district; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run setup install-dev test lint bench bench-routing messages migrate seed clean

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

## Install what the tests need and run the whole suite (DATABASE_URL picks the database)
test: $(VENV)/.installed-dev
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## Routing benchmark on the shared Solomon and Homberger instances
bench: bench-routing

bench-routing: $(VENV)/.installed-dev
	$(PY) manage.py bench_routing --instances ../shared/benchmarks/solomon --time-limit 10 --peers vroom,ortools --json bench-results/solomon.json

messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages -l ru -l kk -l en --no-obsolete --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

migrate: $(VENV)/.installed-base
	$(PY) manage.py migrate

seed: $(VENV)/.installed-base
	$(PY) manage.py seed_demo

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
