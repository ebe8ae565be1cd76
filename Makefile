# kipplan: the two commands a new machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo runs with debug on, so it needs no secret key; production sets DJANGO_SECRET_KEY.
DEMO_ENV := DJANGO_DEBUG=1
MANAGE_TEST := DJANGO_SETTINGS_MODULE=kipplan.test_settings $(BIN)/python manage.py
# The development server, with the background task worker (mail) beside it; Ctrl-C stops both.
SERVE = $(DEMO_ENV) $(BIN)/python manage.py db_worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

.PHONY: help install install-dev node-tools demo run migrate test lint check fixtures bench bench-report load messages clean

help:
	@echo "make demo     set up .venv, migrate, load the demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test     set up .venv with the dev extras and run the whole test suite"
	@echo "make run      serve without reloading the demo data"
	@echo "make lint     ruff and the migrations check"
	@echo "make fixtures rebuild fixtures/demo.json from fixtures/build_demo.py"
	@echo "make messages update locale/ko from the code and compile it (needs GNU gettext)"
	@echo "make bench    page timings at 10,000 tasks (BENCH_DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make bench-report  the annual report's time and memory at 75 and 750 tasks"
	@echo "make load     gunicorn on the demo data under 32 connections for 30 s a page (needs wrk)"

# The venv's own pip (Python 3.11 and later bring pip 22.3 or later, which installs this project
# in editable mode); upgrading it first took a tenth of `make test`'s setup.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# --no-compile: Python compiles what is imported when it is first imported; compiling every
# installed file up front took a fifth of the install.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEMO_ENV) $(BIN)/python manage.py loaddata demo
	@echo ""
	@echo "kipplan demo data loaded. Demo logins (demo only; password for all: kipplan-demo):"
	@echo "  admin       superuser: every model"
	@echo "  manager     plan manager: every task read-only, records reviews"
	@echo "  kipo        staff of KIPO (특허청), also reports for KISTA and its team"
	@echo "  kista       staff of KISTA (한국특허전략개발원)"
	@echo "  kista-team  staff of the National Strategic Technology Patent Support Team"
	@echo "  msit        staff of MSIT (과학기술정보통신부)"
	@echo "  mcst        staff of MCST (문화체육관광부)"
	@echo "  incheon     staff of Incheon (인천광역시), a metropolitan government"
	@echo "  evaluator-lee, evaluator-park  evaluators: only their assigned results and scores"
	@echo "Open http://$(HOST):$(PORT)/ (pages) or /admin/ (reporting); stop with Ctrl-C."
	@echo "Mail (printed here in the demo) is sent by the task worker, started beside the server."
	@echo ""
	$(SERVE)

run: migrate
	$(SERVE)

# The suite on every core (pytest-xdist): each worker has a test database of its own, and keys of
# its own in the Redis tests' database.
TEST_WORKERS ?= auto
test: install-dev node-tools
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# axe-core and the Nu HTML Checker (vnu-jar) for the accessibility and HTML tests, pinned in
# tests/node/package-lock.json. Without npm the tests that need them skip and say so.
NODE_TOOLS := tests/node/node_modules/.installed
node-tools: $(NODE_TOOLS)
$(NODE_TOOLS): tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/node --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the accessibility and HTML tests will skip (they need Node.js)"; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(MANAGE_TEST) makemigrations --check --dry-run

check: install-dev
	$(MANAGE_TEST) check

bench: install-dev
	$(BIN)/python bench/run.py --demo
	$(BIN)/python bench/run.py
	$(BIN)/python bench/annual_report.py

# The annual report for 75 and 750 tasks: seconds and peak memory (targets: 10 s; 60 s, 500 MB).
bench-report: install-dev
	$(BIN)/python bench/annual_report.py

# gunicorn under load from wrk (apt install wrk); LOAD_DATABASE_URL=postgres://... for PostgreSQL.
load: install-dev
	$(BIN)/python bench/load

# The Korean catalogue: new strings appear untranslated (tests fail until they are translated).
I18N_IGNORE := --ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles --ignore=fixtures
messages: install-dev
	$(MANAGE_TEST) makemessages -l ko --no-obsolete $(I18N_IGNORE)
	$(MANAGE_TEST) compilemessages -l ko $(I18N_IGNORE)

fixtures: install
	$(BIN)/python fixtures/build_demo.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache bench/results bench/*.sqlite3* \
		tests/node/node_modules test-artifacts
