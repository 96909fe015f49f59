VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run test lint fmt install install-dev migrate demo clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The nearby search's C kernel is built by the install, so an edit to it reinstalls.
$(STAMP): pyproject.toml places/_kernel.c | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml places/_kernel.c | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

migrate: $(STAMP)
	$(VENV)/bin/cityops migrate

demo: migrate
	$(VENV)/bin/cityops demo

## Serve the API on http://127.0.0.1:8000 with demo data and the loopback fakes (WeChat...).
run: demo
	$(VENV)/bin/cityops serve --with-fakes

## Run the whole suite (SQLite; PostgreSQL too when CITYOPS_TEST_DATABASE_URL is set).
test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
