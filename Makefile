# FairCollect: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= out/demo
DEMO_LOANS ?= 10000
DEMO_DAYS ?= 60
# `make demo DEMO_SERVE=0` stops after building the data; otherwise the web app serves it on
# plain http://127.0.0.1, so its cookies drop `Secure` (FAIRCOLLECT_COOKIE_SECURE=0: honoured on
# a loopback host only).
DEMO_SERVE ?= 1
DEMO_PORT ?= 8000
# The demo's lender is plainly fictional, and set here: the code carries no sample brand.
DEMO_BRAND := FAIRCOLLECT_BRAND_NAME="示例金融（演示）" FAIRCOLLECT_BRAND_SMS_SIGNATURE="示例金融" \
	FAIRCOLLECT_BRAND_HOTLINE="400-000-0000" FAIRCOLLECT_BRAND_PORTAL_URL="http://127.0.0.1:$(DEMO_PORT)"

.PHONY: demo test lint typecheck contracts unit coverage bench clean vendor messages

$(STAMP): pyproject.toml setup.py src/faircollect/audit/_sha.c src/faircollect/adapters/_crypto.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_DIR)  # the demo's own scratch folder: each run starts from an empty database
	$(DEMO_BRAND) $(BIN)/faircollect demo --loans $(DEMO_LOANS) --days $(DEMO_DAYS) --out $(DEMO_DIR) --db sqlite:///$(DEMO_DIR)/faircollect.db
	@if [ "$(DEMO_SERVE)" != "0" ]; then \
		echo "serving the demo on http://127.0.0.1:$(DEMO_PORT)/ (Ctrl-C stops)"; \
		$(DEMO_BRAND) FAIRCOLLECT_COOKIE_SECURE=0 $(BIN)/faircollect serve --port $(DEMO_PORT) --db sqlite:///$(DEMO_DIR)/faircollect.db; \
	fi

# Re-fetch the vendored HTMX (pages) and axe-core (browser tests) from npm at their pinned versions.
vendor:
	./scripts/vendor.sh

# Extract the pages' messages and merge them into the zh and en catalogs (compiled at first use).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d src/faircollect/entrypoints/web/locales --no-fuzzy-matching --ignore-obsolete

lint: $(STAMP)
	$(BIN)/ruff check src tests bench data/screening
	$(BIN)/ruff format --check src tests bench data/screening

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# The suite on PYTEST_WORKERS processes (pytest-xdist); PYTEST_WORKERS=0 runs it in this one.
PYTEST_WORKERS ?= 2
unit: $(STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

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
