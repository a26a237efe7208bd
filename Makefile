# CKM - two commands: `make run` (set up and serve the demo) and `make test` (set up and test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
ADDR   ?= 127.0.0.1:8000

.PHONY: run test setup install migrate demo serve test-pg test-browser lint format check-deploy bench clean

run: install migrate demo serve

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CKM needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install setup: $(STAMP)

migrate: $(STAMP)
	$(BIN)/ckm migrate --no-input -v 0

demo: migrate
	$(BIN)/ckm demo --if-empty

serve: $(STAMP)
	@echo "CKM is at http://$(ADDR)/  (Ctrl-C stops the server and the worker)"
	$(BIN)/ckm serve $(ADDR)

test: $(STAMP)
	$(BIN)/pytest -m "not browser" -q -n 2

test-pg: $(STAMP)
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not browser" -q -n 2

test-browser: $(STAMP)
	$(BIN)/pytest -m browser -q

lint: $(STAMP)
	$(BIN)/ruff check src
	$(BIN)/ruff format --check src
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/ckm makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format src
	$(BIN)/ruff check --fix src

check-deploy: $(STAMP)
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	DJANGO_SETTINGS_MODULE=ckm.settings.production ALLOWED_HOSTS=ckm.example.com \
	$(BIN)/ckm check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
