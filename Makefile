# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make run   - create .venv, install, build the demo database if there is none, start the app
#   make test  - install what the tests need and run the whole suite (ruff, mypy, pytest)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-fast lint typecheck demo bench clean-db chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## Build the demo programme into the configured database unless it already holds data.
demo: $(VENV)/.installed
	$(BIN)/python -m ete_metrics demo --if-empty

## Start the dashboard (honours STREAMLIT_SERVER_PORT, ETE_DATABASE_URL): `streamlit run app.py`
## with the warm-up started with the server (dashboard/warmup.py), so the first visitor waits no longer.
run: demo chromium
	$(BIN)/python -m dashboard.serve

## Debian's Chromium for the end-to-end browser tests (never a downloaded browser build).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check ete_metrics dashboard app.py app_pages tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

## The whole suite, as CI runs it: lint, types, every test (PostgreSQL and browser included).
test: $(VENV)/.installed-dev chromium lint typecheck
	$(BIN)/python -m pytest

## Everyday lane: lint, types and every test but the browser and PostgreSQL ones.
test-fast: $(VENV)/.installed-dev lint typecheck
	$(BIN)/python -m pytest -m "not browser and not postgres"

bench: $(VENV)/.installed-dev
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean-db:
	rm -f data/ete.db data/ete.db-wal data/ete.db-shm
