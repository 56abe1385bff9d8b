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
# The browser tests drive Debian's Chromium; `make test` installs it when it can.
CHROMIUM ?= /usr/bin/chromium
# `make test-anyday ON="2029-12-31 23:50"`: the suite with the whole process clock moved (UTC).
ON ?= 2029-12-31 23:50:00

.PHONY: run install install-dev migrate seed test test-anyday browser faketime lint fmt worker shell bench bench-http lighthouse clean

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
test: install-dev browser
	$(PY) manage.py check_services
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	$(MAKE) lint
	# Models against migration files only: no database needed for that.
	DATABASE_URL="sqlite://:memory:" $(PY) manage.py makemigrations --check --dry-run

test-anyday: export DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))
test-anyday: export CELERY_BROKER_URL := $(or $(CELERY_BROKER_URL),$(TEST_BROKER_URL))
test-anyday: export CACHE_URL := $(or $(CACHE_URL),$(TEST_CACHE_URL))
test-anyday: install-dev browser faketime
	$(PY) manage.py check_services
	faketime -f "@$(ON)" $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Debian packages the suite needs: installed as root when apt-get is there, else one line saying
# what to install.
browser:
	@scripts/debian-package $(CHROMIUM) chromium

faketime:
	@scripts/debian-package faketime faketime

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A spatheory worker --beat --loglevel=info

# Lighthouse, pinned by bench/lighthouse/package-lock.json, on four pages served as in production.
# package.json's overrides pin the two packages one of Lighthouse's own dependencies asks for as
# "latest": without them `npm ci` refuses the lock file as soon as a newer version is published.
LIGHTHOUSE_DIR := bench/lighthouse
$(LIGHTHOUSE_DIR)/node_modules/.package-lock.json: $(LIGHTHOUSE_DIR)/package-lock.json
	cd $(LIGHTHOUSE_DIR) && npm ci --no-audit --no-fund

lighthouse: install browser $(LIGHTHOUSE_DIR)/node_modules/.package-lock.json
	$(PY) bench/lighthouse.py

# The site over HTTP with production settings against a bare-Django ceiling (bench/http.py):
# builds and drops its own database; needs PostgreSQL and Redis as for `make test`.
bench-http: install
	$(PY) bench/http.py $(BENCH_ARGS)

shell: install
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache $(LIGHTHOUSE_DIR)/node_modules
