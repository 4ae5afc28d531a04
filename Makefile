# The two commands: `make run` and `make test`. Everything else is a helper they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/internships.duckdb
PORT   ?= 8501
# Local mode (no [auth] section in .streamlit/secrets.toml): the app serves one local
# administrator without a login, so the server must answer this machine only. Once an operator
# configures login, their own settings (.streamlit/config.toml, --server.address) decide.
SECRETS := .streamlit/secrets.toml
LOGIN_CONFIGURED = $(shell grep -qsE '^[[:space:]]*\[auth[].]' $(SECRETS) && echo yes)
BIND = $(if $(LOGIN_CONFIGURED),,--server.address 127.0.0.1)

.PHONY: run test lint typecheck pytest install dev browser bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

$(DB): | $(VENV)/.installed
	$(BIN)/internships init --sample --db $(DB)

run: install $(DB)
	INTERNSHIPS_DB=$(DB) $(BIN)/streamlit run dashboard.py --server.port $(PORT) --server.headless true $(BIND)

browser: dev
	$(BIN)/python -m tests.e2e.browser

lint: dev
	$(BIN)/ruff check .

typecheck: dev
	$(BIN)/mypy

pytest: dev browser
	$(BIN)/pytest

test: lint typecheck pytest

bench: dev
	$(BIN)/python -m benchmarks.run

screenshots: dev browser
	$(BIN)/python -m tests.e2e.screenshots

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
