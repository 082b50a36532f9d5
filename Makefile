# EcomOps — the two set-up commands are `make demo` and `make test` (see README.md).

SHELL := /bin/bash
# The first Python 3.11+ on PATH (override with `make PYTHON=/path/to/python3.12 ...`).
PYTHON ?= $(shell for p in python3 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432
SERVICES_DB ?= ecomops_services
REDIS ?= redis://127.0.0.1:6379
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo run test test-services browser test-browser lint format check-deploy bench-seed messages api-examples clean help

help:
	@echo "make demo           install, migrate, seed demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test           install with test tools and run the test suite on SQLite"
	@echo "make test-services  run the suite on PostgreSQL + Redis with a real Celery worker"
	@echo "make test-browser   every page in Chromium against a live server (SCREENSHOTS=1 saves PNGs)"
	@echo "make lint           ruff check and format check"
	@echo "make api-examples   re-record the OpenAPI response examples from fresh demo data"

$(VENV)/bin/activate:
	@test -n "$(PYTHON)" || { echo "EcomOps needs Python 3.11 or newer on PATH (or PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py seed_demo_campaign
	$(PY) manage.py compute_analytics --no-progress
	@echo ""
	@echo "  EcomOps is running on http://127.0.0.1:$(PORT)/  (pages; the admin at /admin/, the API docs at /api/v1/docs/)"
	@echo "  Logins (password demo): admin (superuser), ops (ops staff), manager (store manager), analyst"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

run: demo

test: $(VENV)/.dev
	$(PY) -m pytest

# The whole suite on PostgreSQL and Redis, including the tests marked `services`
# (a real Celery worker). Uses its own database and Redis db numbers.
test-services: $(VENV)/.dev
	DATABASE_URL=$(PG_URL)/$(SERVICES_DB) CELERY_BROKER_URL=$(REDIS)/14 REDIS_URL=$(REDIS)/13 \
		$(PY) -m pytest -m "not browser" --create-db

# Debian's Chromium for the browser tests (Playwright drives it by path; its own browser
# download is not used). Installs the `chromium` package when $(CHROMIUM) is missing.
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "chromium: $(CHROMIUM)"; exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "$(CHROMIUM) is missing and there is no apt-get here: install Chromium and run with CHROMIUM=/path/to/chromium"; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "$(CHROMIUM) is missing: run 'apt-get update && apt-get install -y chromium' as root (no sudo here)"; exit 1; fi; \
	echo "installing Debian's chromium: $${sudo:+sudo }apt-get install -y chromium"; \
	$$sudo apt-get update && $$sudo apt-get install -y chromium \
		|| { echo "could not install chromium; install it by hand (apt-get install -y chromium) or set CHROMIUM=..."; exit 1; }; \
	test -x "$(CHROMIUM)" || { echo "chromium installed but $(CHROMIUM) is not there: set CHROMIUM=..."; exit 1; }

# Every page in Chromium against gunicorn on a throw-away demo database (tests/browser).
# SCREENSHOTS=1 also writes docs/screenshots/<page>.png (as the admin, 1400 px wide).
test-browser: $(VENV)/.dev browser
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest -m browser tests/browser

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-deploy: $(VENV)/.runtime
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=ecomops.example.com $(PY) manage.py check --deploy --fail-level WARNING

bench-seed: $(VENV)/.dev
	$(PY) bench/seed_demo.py

# Translations: one catalog per app (and ecomops's for the shared templates). Updates the
# .po files from the code, then compiles them; the compiled .mo files are committed, so
# running the app needs no gettext tools.
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore '.venv/*' \
		--ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'docs/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

# The OpenAPI response examples (ecomops/api/examples.json), recorded from the demo data
# (the same seed as CI's API fuzzing) in a throw-away SQLite database.
api-examples: $(VENV)/.runtime
	@work=$$(mktemp -d) && trap 'rm -rf "$$work"' EXIT && export DATABASE_URL="sqlite:///$$work/examples.sqlite3" && \
	$(PY) manage.py migrate --noinput -v0 && \
	$(PY) manage.py seed_demo --customers 400 --orders 3000 --events 20000 --seed 42 --no-progress >/dev/null && \
	$(PY) manage.py seed_demo_campaign >/dev/null && \
	$(PY) manage.py compute_analytics --no-progress >/dev/null && \
	$(PY) manage.py record_api_examples

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
