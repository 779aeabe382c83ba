# Yishi — `make run` on a fresh machine sets everything up and serves http://127.0.0.1:8000
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run install migrate demo test test-browser test-all lint typecheck pytest bench messages i18n clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# Compiled catalogues are committed; recompile when gettext is on the machine.
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then $(BIN)/python manage.py compilemessages -v0 --ignore '.venv/*'; \
	else echo "msgfmt not found: using the committed .mo files"; fi

migrate: install messages
	$(BIN)/python manage.py migrate --noinput -v0

# The demo runs with DEBUG on (media served, seed_demo allowed); DEBUG is off by default.
demo run: export DJANGO_DEBUG ?= 1

demo: migrate
	$(BIN)/python manage.py seed_demo

# The web server (daphne: HTTP + websockets), the background-task worker (emails) and the clock
# (workflow timers, co-signing expiry) together; Ctrl-C stops all three.
run: demo
	@echo "Yishi on http://127.0.0.1:$(PORT)/  (logins: resident1 / clerk1 / committee1 / council1 / supervisor1, password yishi-demo)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py db_worker --queue-name '*' & \
	$(BIN)/python manage.py tick --loop 30 & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Re-extract and fill the zh-Hant and English catalogues (glossary: locale/en_glossary.json).
i18n: install
	$(BIN)/python bin/i18n.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy config projects deliberation notifications accounts ops meetings opendata dashboards residents

# `make test` is the developer's loop (2 min 20 s on two cores): lint, types and the suite
# on as many processes as there are cores (pytest-xdist), leaving out the slow comparisons with
# pabutools and the browser walks. `make test-browser` runs the walks (headless Chromium, also
# one process per core: about 4½ minutes); `make test-all` runs everything. .ci/run runs all of
# them, then the suite again on PostgreSQL + Redis.
PYTEST_ARGS ?= -m "not slow and not browser" -n auto
pytest: install messages
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck pytest

test-browser:
	$(MAKE) pytest PYTEST_ARGS='-m "browser and not slow" -n auto'

test-all: test test-browser
	$(MAKE) pytest PYTEST_ARGS='-m slow'

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
