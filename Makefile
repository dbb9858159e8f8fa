# The two commands a newcomer needs: `make serve` and `make test`.
# Each bootstraps itself: a .venv, the project installed (again only when
# pyproject.toml changed), an embedded PostgreSQL under .meguri/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
USERS       ?= 50
SECONDS     ?= 60
FUZZ_ARGS   ?=

.PHONY: serve test lint bench worker demo verify clean-venv chaos fuzz load screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  (echo "Meguri needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1)
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

serve: $(STAMP)
	exec $(BIN)/meguri serve

worker: $(STAMP)
	exec $(BIN)/meguri worker

demo: $(STAMP)
	$(BIN)/meguri demo

verify: $(STAMP)
	$(BIN)/meguri verify

test: $(STAMP)
	$(BIN)/python -m pytest -p xdist -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

# The bank test under faults (app SIGKILLs, a PostgreSQL crash): `make chaos SEED=7`.
chaos: $(STAMP)
	$(BIN)/python -m proof.chaos --seed $(or $(SEED),1) --report docs/proof.md

# Schemathesis against the served API (each role, two peers) and hypothesis on the parsers.
fuzz: $(STAMP)
	$(BIN)/python -m proof.fuzz $(FUZZ_ARGS)

# A shopping day with locust: `make load USERS=200 SECONDS=120`.
load: $(STAMP)
	$(BIN)/python -m proof.load --users $(USERS) --seconds $(SECONDS)

# PNGs of the main pages (phone and tablet) from the demo town into docs/screenshots/.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

clean-venv:
	rm -rf $(VENV)
