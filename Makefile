# The two commands a newcomer needs: `make run` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres lint format bench lock clean reliability

# Exact versions with hashes (requirements/README.md); the package itself without resolving.
INSTALL_LOCK = $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes
INSTALL_SELF = $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

$(VENV)/.run-installed: pyproject.toml requirements/run.txt
	$(PYTHON) -m venv $(VENV)
	$(INSTALL_LOCK) -r requirements/run.txt
	$(INSTALL_SELF)
	touch $@

$(VENV)/.test-installed: pyproject.toml requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(INSTALL_LOCK) -r requirements/test.txt
	$(INSTALL_SELF)
	touch $@ $(VENV)/.run-installed

## run: serve the API on SQLite (./firstarticle.db) with the demo plant at http://127.0.0.1:8000
run: $(VENV)/.run-installed
	$(BIN)/firstarticle serve --demo --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite, then again on PostgreSQL if FIRSTARTICLE_TEST_DATABASE_URL is set
test: $(VENV)/.test-installed
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$FIRSTARTICLE_TEST_DATABASE_URL" ]; then \
		$(MAKE) --no-print-directory test-postgres; \
	else \
		echo "FIRSTARTICLE_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

test-sqlite: $(VENV)/.test-installed
	@echo "== test suite on SQLite"
	env -u FIRSTARTICLE_TEST_DATABASE_URL $(BIN)/python -m pytest

test-postgres: $(VENV)/.test-installed
	@echo "== test suite on PostgreSQL"
	$(BIN)/python -m pytest

## reliability: the tests behind every row of docs/reliability.md, then the rows with this run's figures
reliability: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q -m requirement --trace-report=build/reliability.json; \
	status=$$?; $(BIN)/python tests/trace_report.py build/reliability.json || status=1; exit $$status

## lint: ruff, formatting, mypy strict on domain and services
lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

## bench: every workload (or WORKLOAD="w1 w5") at SCALE=S|L as one table of same-run ratios;
##        the database is FIRSTARTICLE_BENCH_DATABASE_URL (PostgreSQL for L), else SQLite
SCALE ?= S
bench: $(VENV)/.test-installed
	PYTHONPATH=. $(BIN)/python -m bench --scale $(SCALE) $(WORKLOAD)

## lock: re-resolve requirements/run.txt and test.txt from pyproject.toml (needs the index)
lock:
	PYTHON=$(PYTHON) requirements/compile.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache firstarticle.db*
