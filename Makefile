# Spa Theory: the front door. `make run` for the site, `make test` for the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000

# Defaults for the test suite; override by exporting DATABASE_URL / CELERY_BROKER_URL.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/spatheory
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
TEST_CACHE_URL ?= redis://127.0.0.1:6379/1
TEST_WORKERS ?= 2

.PHONY: run install install-dev migrate seed test lint fmt worker shell bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: export DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))
test: export CELERY_BROKER_URL := $(or $(CELERY_BROKER_URL),$(TEST_BROKER_URL))
test: export CACHE_URL := $(or $(CACHE_URL),$(TEST_CACHE_URL))
test: install-dev
	$(PY) manage.py check_services
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	$(MAKE) lint
	# Models against migration files only: no database needed for that.
	DATABASE_URL="sqlite://:memory:" $(PY) manage.py makemigrations --check --dry-run

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A spatheory worker --beat --loglevel=info

shell: install
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
