# The README's quick start is `make demo` and `make test`; both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A second environment pinned to the lowest supported versions of the core dependencies.
LOWEST := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed

.PHONY: demo test lint typecheck unit unit-lowest bench docs hardening clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "civicgrid needs Python 3.11 or newer: run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(LOWEST_STAMP): pyproject.toml .ci/lowest-constraints.txt
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --disable-pip-version-check \
		-c .ci/lowest-constraints.txt -e '.[dev]'
	touch $@

# The main job: a 30-day simulation of Chenghua on the embedded SQLite store, its summary and
# report (demo-report/report.html). The summary equals `civicgrid report sqlite:demo.db`.
demo: $(STAMP)
	rm -f demo.db demo.db-wal demo.db-shm
	$(BIN)/civicgrid simulate --preset chenghua --days 30 --seed 1 --store sqlite:demo.db \
		--report demo-report

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples scripts docs/examples
	$(BIN)/ruff format --check src tests bench examples scripts docs/examples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

# The whole suite again with python-dateutil 2.9 and the other core dependencies at their floor.
unit-lowest: $(LOWEST_STAMP)
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider -q

test: lint typecheck unit unit-lowest

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/units.py
	$(BIN)/python bench/requests.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/store.py

# The hardening figures page (docs/hardening.md), written by a command, never by hand: the fuzz,
# fault, permission-matrix and personal-data suites with their tallies, then the soak.
# Longer mode: make hardening HARDENING_ARGS="--examples 2000 --days 365 --scale 0.1"
hardening: $(STAMP)
	$(BIN)/python scripts/hardening_report.py $(HARDENING_ARGS)

# The documentation site, built strictly (warnings are errors) into site/.
docs: $(STAMP)
	$(BIN)/python scripts/build_docs.py site

clean:
	rm -rf $(VENV) $(LOWEST) site demo.db demo.db-wal demo.db-shm demo-report .pytest_cache .mypy_cache .ruff_cache .hypothesis
