# Snag: `make run` tries it in the terminal, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.snag-installed

.PHONY: run test install model postgres bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Snag needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Run: make $(MAKECMDGOALS) PYTHON=python3.11" >&2; exit 1; }
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  echo "$(VENV) was made with an older Python: making it again with $(PYTHON)" >&2; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Train the classifier from the shipped data if no model exists yet.
model: install
	$(BIN)/snag train --if-missing

## Start the bot in this terminal on SQLite under ./var (no accounts needed).
run: model
	$(BIN)/snag chat

## Start the local PostgreSQL if it is installed but stopped (the store's tests use it).
postgres:
	@bash scripts/ensure-postgres

## Set up and run the whole suite, on SQLite and on PostgreSQL.
test: install postgres
	$(BIN)/python -m pytest

## Speed, memory and quality figures (written up in benchmarks/RESULTS.md).
bench: model
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks.run

## Lint, format check and type check (CI runs this before the tests).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot adapters classifier store digests

## Remove the virtualenv and caches; ./var (the database, the reporter key, models) is kept.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
