# Observatoire de la tranquillité publique — the two commands: `make run` and `make test`
# (and `make test-fast`, the quick lane while working).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
OBS     := $(VENV)/bin/observatory
HOST    ?= 127.0.0.1
PORT    ?= 8000
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed

.PHONY: help setup system-deps browser run test test-fast lint format bench clean db-start db-stop \
	geocoder-stop

help:
	@echo "make run        installe tout, démarre la base locale et le géocodeur, charge les exemples, sert http://$(HOST):$(PORT)/"
	@echo "make test       installe tout et lance toute la suite de tests (base PostGIS réelle)"
	@echo "make test-fast  lint et tests sauf les lents (navigateur, notebooks, processus) : moins de 2 min"
	@echo "make lint       ruff et mypy"
	@echo "make bench      mesures de performance (benchmarks/RESULTS.md)"
	@echo "make clean      arrête la base locale et efface l'environnement et les données locales"

## One idempotent set-up shared by every target.
setup: system-deps $(INSTALLED) $(NODE_INSTALLED)

system-deps:
	@scripts/ensure-system-deps.sh

# The end-to-end tests drive Debian's Chromium; `make run` does not need it.
browser:
	@scripts/ensure-system-deps.sh --browser

$(INSTALLED): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# Leaflet, leaflet.markercluster, Leaflet.VectorGrid and Chart.js, exactly as the lock file says; served by the API.
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

db-start: setup
	$(OBS) db start

db-stop:
	@test -x $(OBS) && $(OBS) db stop || true

geocoder-stop:
	@test -x $(OBS) && $(OBS) geocoder stop || true

GEOCODER_SAMPLE := data/samples/adresses-31-extrait.csv.gz

run: setup
	$(OBS) db upgrade
	$(OBS) demo
	$(OBS) geocoder start
	$(OBS) geocoder load $(GEOCODER_SAMPLE)
	$(OBS) serve --host $(HOST) --port $(PORT)

test: setup browser lint
	$(PY) -m pytest

# The quick lane while working: no browser, the tests marked slow left out (tests/conftest.py
# lists them). `make test` stays the command that runs everything, and the one CI runs.
test-fast: setup lint
	$(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(OBS) db upgrade
	$(PY) -m benchmarks

clean: db-stop geocoder-stop
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts benchmarks/out node_modules
