# The two commands: `make run` and `make test`. Everything else is a helper they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The lake store's own venv: DuckDB 1.5.5 and its extensions (the `lake` extra), for the lake
# tests and benchmark. One process cannot import two DuckDB releases, so each half has its venv.
LAKE_VENV := .venv-lake
LAKE_BIN  := $(LAKE_VENV)/bin
# The default install runs DuckDB 2.0; pyproject allows 1.5.5 too (the lake extra pins it), so a
# venv made when the project pinned 1.5.5 would keep it: ask for 2.0 here.
EMBEDDED_DUCKDB := "duckdb>=2.0,<2.1"
DB     ?= data/internships.duckdb
PORT   ?= 8501
# Local mode (no [auth] section in .streamlit/secrets.toml): the app serves one local
# administrator without a login, so the server must answer this machine only. Once an operator
# configures login, their own settings (.streamlit/config.toml, --server.address) decide.
SECRETS := .streamlit/secrets.toml
LOGIN_CONFIGURED = $(shell grep -qsE '^[[:space:]]*\[auth[].]' $(SECRETS) && echo yes)
BIND = $(if $(LOGIN_CONFIGURED),,--server.address 127.0.0.1)

.PHONY: run test lint typecheck pytest pytest-lake install dev lake-dev browser lake-browser bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . $(EMBEDDED_DUCKDB)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]" $(EMBEDDED_DUCKDB)
	touch $@ $(VENV)/.installed

$(LAKE_BIN)/python:
	$(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_BIN)/python -m pip install --quiet --upgrade pip

$(LAKE_VENV)/.installed: pyproject.toml | $(LAKE_BIN)/python
	$(LAKE_BIN)/python -m pip install --quiet -e ".[dev,bench,lake]"
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev
lake-dev: $(LAKE_VENV)/.installed

$(DB): | $(VENV)/.installed
	$(BIN)/internships init --sample --db $(DB)

run: install $(DB)
	INTERNSHIPS_DB=$(DB) $(BIN)/streamlit run dashboard.py --server.port $(PORT) --server.headless true $(BIND)

browser: dev
	$(BIN)/python -m tests.e2e.browser

# The lake's browser test (tests/e2e/test_lake_replicas.py) runs in the lake venv.
lake-browser: lake-dev
	$(LAKE_BIN)/python -m tests.e2e.browser

lint: dev
	$(BIN)/ruff check .

typecheck: dev
	$(BIN)/mypy

# Every test runs in one venv or the other: the marker `lake` (tests/conftest.py) splits them. The
# lake half fails when it collects no test or a lake test is skipped.
pytest: browser lake-browser
	$(BIN)/pytest -m "not lake"
	$(LAKE_BIN)/pytest -m lake

pytest-lake: lake-browser
	$(LAKE_BIN)/pytest -m lake

test: lint typecheck pytest

bench: dev lake-dev
	$(BIN)/python -m benchmarks.run

screenshots: dev browser
	$(BIN)/python -m tests.e2e.screenshots

clean:
	rm -rf $(VENV) $(LAKE_VENV) .mypy_cache .ruff_cache .pytest_cache
