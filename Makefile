# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev migrate demo lint ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty

## Serve the portal with demo data on http://127.0.0.1:5000 (SQLite in instance/ by default).
run: demo
	@echo "Serving the session portal on http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

## The whole suite (SQLite unless DATABASE_URL is set).
test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check portal tests

ci:
	.ci/run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
