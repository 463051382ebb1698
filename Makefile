# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv from pyproject when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench test-browser clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reseller-worker demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rules integrations worker config
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/xero_calls.py
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/month_end.py

test-browser: $(STAMP)
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  echo "test-browser: installing Debian's chromium and chromium-driver"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	$(BIN)/pip install --quiet -e '.[dev,browser]'
	$(BIN)/python -m tests.browser.report_check
	$(BIN)/pytest -m browser tests/browser

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
