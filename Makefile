# FairCollect: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= out/demo

.PHONY: demo test lint typecheck contracts unit coverage bench clean

$(STAMP): pyproject.toml setup.py src/faircollect/audit/_sha.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_DIR)  # the demo's own scratch folder: each run starts from an empty database
	$(BIN)/faircollect demo --loans 10000 --days 60 --out $(DEMO_DIR) --db sqlite:///$(DEMO_DIR)/faircollect.db

lint: $(STAMP)
	$(BIN)/ruff check src tests bench data/screening
	$(BIN)/ruff format --check src tests bench data/screening

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q

# The policy gate is held to 100 % branch coverage by its own tests.
coverage: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/unit/policy tests/e2e/test_cli.py::test_policy_check_decides_json_lines_and_names_bad_lines \
		--cov=faircollect.policy --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=100

test: lint typecheck contracts unit coverage

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/audit_log.py
	$(BIN)/python bench/daily_batch.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
