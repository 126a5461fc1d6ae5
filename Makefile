# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# The locks pin every package, with hashes, for Python 3.11 on Linux x86_64; `make lock` makes
# them from pyproject.toml (LOCK_ARGS=--upgrade moves every pin to the newest allowed release).
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
LOCK_ARGS ?=
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" $(LOCK_ARGS)
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes -r

.PHONY: run test install install-dev lock audit migrate demo lint ci clean translations compile-translations tools \
	bench bench-load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly the locked versions (pip refuses any file whose hash is not in the lock), then the
# project itself without resolving again; a newer lock or pyproject.toml installs once more.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) $(VENV)/.installed
	$(PIP_LOCKED) $(DEV_LOCK)
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Re-resolve both locks after a change to pyproject.toml's dependencies; the dev lock is held
## to the runtime lock's versions, so `make test` tests what `make run` serves.
lock: $(VENV)/.installed-dev
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev --constraint $(LOCK) -o $(DEV_LOCK)

## Known vulnerabilities in the locked set, from PyPI's advisory data; --strict: a package that
## cannot be looked up fails the audit too, so an unreachable service never passes silently.
audit: $(VENV)/.installed-dev
	$(BIN)/pip-audit --strict --require-hashes --disable-pip --vulnerability-service pypi \
		--progress-spinner off -r $(LOCK) -r $(DEV_LOCK)

# The catalogs of the languages the portal speaks; the compiled .mo files are made from the
# .po files by `make run` and `make test` (not kept in git).
TRANSLATIONS := portal/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel --quiet compile -i $< -o $@

## After changing texts: extract them from the code and templates (messages.pot), merge them into
## each language's catalog (new and changed texts arrive empty: translate them), compile.
translations: install
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l --sort-by-file --project "session portal" \
		--msgid-bugs-address= -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel --quiet update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(MAKE) --no-print-directory compile-translations

compile-translations: $(MO_FILES)

## The checking tools from npm, pinned in package-lock.json: the Nu HTML Checker (needs Java;
## tests/test_html_valid.py) and Lighthouse (bench/lighthouse.py).
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

tools: node_modules/.installed

migrate: install compile-translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty

## Serve the portal with demo data on http://127.0.0.1:5000 (SQLite in instance/ by default),
## with the worker beside it (messages go to instance/mail/ unless SMTP_URL is set); Ctrl-C
## stops both.
run: demo
	@echo "Serving the session portal on http://$(HOST):$(PORT), the worker beside it"
	@$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
		$(FLASK) run --host $(HOST) --port $(PORT)

## The whole suite (SQLite unless DATABASE_URL is set), spread over one worker per core
## (pytest-xdist; each worker has its own database). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

test: install-dev compile-translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check portal tests bench

## The benchmark at full scale: every page, fragment, export and API list (bench/pages.py)
## and the 100,000-row enrolment import, in a copy of the scale data (dropped after), so the
## benchmark's database stays as generated. SQLite in instance/scale/ unless
## BENCH_DATABASE_URL names another database (PostgreSQL: created if missing); the scale data
## is generated there first when missing (BENCH_FACTOR, 1 = 10,000 sessions: a few minutes).
## Prints what misses its goal at the end and writes bench/RESULTS.md, and what bounds each
## miss (statements, plans, profile) to bench/BOUNDS-<kind>.md; it is a report, not
## a test: the exit status is 0 whatever was missed. BENCH_ARGS: more bench/pages.py options
## (--repeat 10, --only WORD, --no-import...).
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/scale/portal.sqlite3
BENCH_FACTOR ?= 1
BENCH_ARGS ?=

bench: install-dev compile-translations
	$(BIN)/python bench/scale_db.py "$(BENCH_DATABASE_URL)" --factor $(BENCH_FACTOR)
	$(BIN)/python bench/pages.py --database-url "$(BENCH_DATABASE_URL)" --work-copy --bounds $(BENCH_ARGS)

## The load test (bench/load.py: gunicorn and locust, pages beside /health, the login phase
## apart from the steady state) on the same database, in a copy; takes minutes. LOAD_ARGS:
## --users, --seconds, --workers.
LOAD_ARGS ?=

bench-load: install-dev compile-translations
	$(BIN)/python bench/scale_db.py "$(BENCH_DATABASE_URL)" --factor $(BENCH_FACTOR)
	$(BIN)/python bench/load.py --database-url "$(BENCH_DATABASE_URL)" --work-copy $(LOAD_ARGS)

ci:
	.ci/run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
