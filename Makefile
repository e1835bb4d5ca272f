# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_APPLICANTS ?= 300
# Tests run in parallel, one database (SQLite file or PostgreSQL schema) per worker.
PYTEST_ARGS ?= -n auto
# PostgreSQL for the second test pass: CASEMGR_TEST_DATABASE_URL, else a local server if one answers.
LOCAL_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint scan clean messages translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# The demo server lets the demo admin and supervisor in without an authenticator app;
# a real deployment keeps the default (admin and supervisor must use two-factor login).
run: export CASEMGR_TWO_FACTOR_ROLES ?=
run: $(VENV)/.installed-run
	$(BIN)/casemgr db upgrade
	$(BIN)/casemgr demo --if-empty --applicants $(DEMO_APPLICANTS)
	$(BIN)/casemgr run --host $(HOST) --port $(PORT)

# The end-to-end tests drive Debian's Chromium (Playwright never downloads one); where it
# cannot be installed they are skipped, saying so.
test: $(VENV)/.installed-test
	@bash .ci/debian-package chromium /usr/bin/chromium \
		|| echo "== no Chromium: the end-to-end tests (tests/e2e) will be skipped =="
	@status=0; \
	echo "== tests on SQLite =="; \
	CASEMGR_TEST_DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	pg_url="$${CASEMGR_TEST_DATABASE_URL:-}"; \
	if [ -z "$$pg_url" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2).close()" 2>/dev/null; then \
		pg_url="$(LOCAL_POSTGRES_URL)"; \
	fi; \
	if [ -n "$$pg_url" ]; then \
		echo "== tests on PostgreSQL =="; \
		CASEMGR_TEST_DATABASE_URL="$$pg_url" $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	else \
		echo "== no PostgreSQL answered on 127.0.0.1:5432 and CASEMGR_TEST_DATABASE_URL is unset: SQLite only =="; \
	fi; \
	exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive casemgr --severity-level medium

# Translations (README "Translating"): `make messages` extracts every marked string into
# casemgr/translations/messages.pot and merges it into the ko and ru catalogues;
# `make translations` compiles the catalogues into the .mo files the app reads (committed;
# a test fails when a .mo is older than its .po).
TRANSLATIONS := casemgr/translations
LOCALES := ko ru

messages: $(VENV)/.installed-test
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -c TRANSLATORS: \
		--project casemgr --copyright-holder "casemgr contributors" \
		-o $(TRANSLATIONS)/messages.pot .
	for locale in $(LOCALES); do \
		if [ -f $(TRANSLATIONS)/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$locale; \
		else \
			$(BIN)/pybabel -q init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$locale; \
		fi; \
	done
	$(MAKE) translations

translations: $(VENV)/.installed-test
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS)

# sqlmap against a gunicorn-served demo instance on 127.0.0.1 (see .ci/scan).
scan: $(VENV)/.installed-test
	BIN=$(BIN) bash .ci/scan

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
