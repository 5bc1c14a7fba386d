# The two commands in the README: `make demo` and `make test`. Everything else is a step they need.
# Works from a fresh clone on Debian with python3: browser, redis and npm assets are installed on demand.

SHELL := /bin/bash
.DEFAULT_GOAL := test

PY := .venv/bin/python
VENV_STAMP := .venv/.stamp-installed
VENDOR_DIR := tests/e2e/vendor
VENDOR_STAMP := $(VENDOR_DIR)/.stamp-installed
# htmx 2 (the FastHTML default) plus the extensions and CSS that the default page head loads from CDNs.
VENDOR_PKGS := htmx.org@2 htmx-ext-ws@2 htmx-ext-sse@2 @picocss/pico@2
PYTEST_ARGS ?=
BENCH_ARGS ?=

# apt-get as root, through sudo otherwise; lists are refreshed before every install.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
apt_install = { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(1); }

EXT_SRC := $(wildcard fasthtml/*.c)
EXT_STAMP := .venv/.stamp-ext

.PHONY: .venv venv ext demo vendor chromium redis postgresql lint test bench bench-http bench-envs original bench-scale clean

.venv venv: $(VENV_STAMP)

# Reinstalls whenever the package metadata changes.
$(VENV_STAMP): settings.ini setup.py
	@if [ ! -x $(PY) ]; then \
	  rm -rf .venv; \
	  python3 -m venv .venv || { $(call apt_install,python3-venv) && rm -rf .venv && python3 -m venv .venv; }; \
	fi
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

# The optional C accelerators (fasthtml/*.c), built next to their modules; rebuilt when a source changes. `make test`
# insists they built (their tests compare them with the pure-Python code); a user's install falls back quietly.
ext: $(EXT_STAMP)

$(EXT_STAMP): $(VENV_STAMP) $(EXT_SRC)
	@command -v gcc >/dev/null || $(call apt_install,gcc libc6-dev)
	@$(PY) -c "import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
	  || $(call apt_install,python3-dev)
	$(PY) setup.py -q build_ext --inplace
	@for m in $(basename $(notdir $(EXT_SRC))); do $(PY) -c "import fasthtml.$$m" || { echo "C extension fasthtml.$$m did not build"; exit 1; }; done
	touch $@

demo: $(VENV_STAMP) ext
	$(PY) examples/todo_app.py

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP):
	@command -v npm >/dev/null || $(call apt_install,npm)
	mkdir -p $(VENDOR_DIR)
	npm install --prefix $(VENDOR_DIR) --no-save --no-package-lock --no-audit --no-fund --loglevel=error $(VENDOR_PKGS)
	touch $@

chromium:
	@command -v chromium >/dev/null || $(call apt_install,chromium)

redis:
	@command -v redis-server >/dev/null || $(call apt_install,redis-server)

# Debian keeps the server binaries (initdb, postgres) in /usr/lib/postgresql/N/bin; tests/pg_server.py finds them there.
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(call apt_install,postgresql)

# The code gates, before the suite: ruff (ruff.toml) and pyright in standard mode (pyrightconfig.json: fasthtml/ and
# examples/), each failing the target on any finding. pyright's pip package runs its bundled checker on the system's
# node (installed here when missing, so it never downloads one) and is told to skip its PyPI version check.
lint: $(VENV_STAMP)
	@command -v node >/dev/null || $(call apt_install,nodejs)
	.venv/bin/ruff check .
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 .venv/bin/pyright

test: $(VENV_STAMP) lint ext vendor chromium redis postgresql
	$(PY) -m pytest -q $(PYTEST_ARGS) tests

# BENCH_ARGS: e.g. `make bench BENCH_ARGS='--only S3,S6 --rounds 9'` (see `bench/run.py --help`).
# The bench compares with the original (python-fasthtml 0.14.14, in a throwaway venv outside the repo, shared with the
# vs-original tool) and times start-up in a clean install of this checkout: a regular (not editable) install without
# the dev requirements, as users get it, rebuilt when the package changes.
ORIGINAL_VENV ?= /tmp/fasthtml-original
CLEAN_VENV := .bench-venv
CLEAN_STAMP := $(CLEAN_VENV)/.stamp-installed
PKG_FILES := $(wildcard fasthtml/*.py fasthtml/*.pyi fasthtml/*.c fasthtml/*.js)

bench: $(VENV_STAMP) ext bench-envs
	FASTHTML_ORIGINAL_VENV=$(ORIGINAL_VENV) $(PY) bench/run.py $(BENCH_ARGS)

bench-envs: original $(CLEAN_STAMP)

original:
	@$(ORIGINAL_VENV)/bin/python -c 'import fasthtml, fastlite' 2>/dev/null || { rm -rf $(ORIGINAL_VENV) && \
	  python3 -m venv $(ORIGINAL_VENV) && \
	  $(ORIGINAL_VENV)/bin/pip install -q --disable-pip-version-check python-fasthtml==0.14.14 fastlite; }

$(CLEAN_STAMP): settings.ini setup.py $(PKG_FILES)
	@[ -x $(CLEAN_VENV)/bin/python ] || { rm -rf $(CLEAN_VENV) && python3 -m venv $(CLEAN_VENV); }
	$(CLEAN_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps . && \
	  $(CLEAN_VENV)/bin/pip install -q --disable-pip-version-check .
	touch $@

bench-http: $(VENV_STAMP) ext
	@command -v wrk >/dev/null || $(call apt_install,wrk)
	$(PY) bench/over_http.py $(BENCH_ARGS)

# The to-do page and an insert on SQLite and PostgreSQL, 1 and 2 workers, against raw Starlette (bench/scale.py).
bench-scale: $(VENV_STAMP) ext postgresql
	@command -v wrk >/dev/null || $(call apt_install,wrk)
	$(PY) bench/scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENDOR_DIR) .pytest_cache build dist *.egg-info fasthtml/*.so $(EXT_STAMP) $(CLEAN_VENV)
