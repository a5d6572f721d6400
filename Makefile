# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make run   - create .venv, install, build the demo database if there is none, start the app
#   make test  - install what the tests need and run the whole suite (ruff, mypy, pytest)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
# The installer: uv (installed from PyPI into .venv; it installs the packages in seconds
# where they are in its cache, ~/.cache/uv or UV_CACHE_DIR) or, with INSTALLER=pip or
# where uv cannot be had, pip (minutes).
INSTALLER ?= uv

.PHONY: run test test-fast lint typecheck demo bench clean-db chromium

# The virtual environment is made without pip (installing pip into it is the slowest part
# of making it); uv is installed by the pip wheel that ships with Python, run from the wheel.
# pip itself is put into .venv only when it is the installer.
PIP_WHEEL = $$($(BIN)/python -c 'import ensurepip, glob, os; print(next(iter(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))), ""))')
ENSURE_PIP = $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip >/dev/null

$(BIN)/python:
	@echo "== Creating the virtual environment $(VENV) ($$($(PYTHON) --version))"
	@$(PYTHON) -m venv --without-pip $(VENV)

$(VENV)/.installer: | $(BIN)/python
	@if [ "$(INSTALLER)" = uv ]; then \
	  echo "== Installing the uv installer into $(VENV)"; \
	  wheel="$(PIP_WHEEL)"; \
	  { [ -n "$$wheel" ] && $(BIN)/python "$$wheel/pip" install --quiet --disable-pip-version-check uv; } \
	    >$(VENV)/uv-install.log 2>&1 \
	  || { $(ENSURE_PIP) && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; } \
	    >>$(VENV)/uv-install.log 2>&1 \
	  || echo "   uv could not be installed ($(VENV)/uv-install.log says why): pip installs instead"; \
	fi
	@touch $@

# $(call install,FILE): the packages of FILE, with uv when it is there (pip if uv fails).
# $(call install,FILE,--no-deps): the same, without the packages' declared dependencies.
define install
	@if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install --python $(BIN)/python $(2) -r $(1) \
	    || { echo "   uv could not install them: pip tries"; $(ENSURE_PIP); $(BIN)/python -m pip install $(2) -r $(1); }; \
	else \
	  $(ENSURE_PIP); $(BIN)/python -m pip install $(2) -r $(1); \
	fi
endef

$(VENV)/.installed: requirements.txt | $(VENV)/.installer
	@echo "== Installing the dashboard's packages (requirements.txt)"
	$(call install,requirements.txt)
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt requirements-nodeps.txt $(VENV)/.installed
	@echo "== Installing the test and quality tools (requirements-dev.txt, requirements-nodeps.txt)"
	$(call install,requirements-dev.txt)
	$(call install,requirements-nodeps.txt,--no-deps)
	@touch $@

## Build the demo programme into the configured database unless it already holds data.
demo: $(VENV)/.installed
	@echo "== The demo programme (built once, into an empty database)"
	@$(BIN)/python -m ete_metrics demo --if-empty

## Start the dashboard (honours STREAMLIT_SERVER_PORT, ETE_DATABASE_URL): `streamlit run app.py`
## with the warm-up started with the server (dashboard/warmup.py), so the first visitor waits no longer.
## Needs no root: Chromium is only for the deck's and PDF's chart images (and the browser tests).
run: demo
	@echo "== Starting the dashboard"
	@$(BIN)/python -m dashboard.serve

## Debian's Chromium for the end-to-end browser tests and the reports' chart images (never a
## downloaded browser build); needs root or sudo. `make test` depends on it, `make run` does not.
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
