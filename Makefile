# Fapiao: everyday commands. Each one sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
FAPIAO_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FAPIAO_TEST_PG_URL

.PHONY: assets screenshots run test check unit integration integration-pg bench clean system-packages test-packages openapi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

MO := src/fapiao/locale/en/LC_MESSAGES/django.mo
ASSETS := src/fapiao/web/static/vendor/.built

## assets: the pages' front-end packages (package.json) installed by npm and copied into static
assets: $(ASSETS)
$(ASSETS): package.json package-lock.json scripts/assets
	@sh scripts/system-packages
	sh scripts/assets
	@touch $@

system-packages:
	@sh scripts/system-packages
	@$(MAKE) --no-print-directory $(MO)

# the English translation, compiled from its .po (the .mo is not committed)
$(MO): src/fapiao/locale/en/LC_MESSAGES/django.po
	msgfmt --check -o $@ $<

test-packages:
	@sh scripts/system-packages test
	@$(MAKE) --no-print-directory $(MO)

## run: install, migrate and serve on http://$(HOST):$(PORT)/
run: $(STAMP) system-packages $(ASSETS)
	$(BIN)/fapiao migrate --noinput
	$(BIN)/fapiao demo
	@echo
	@echo "Fapiao 开票系统: http://$(HOST):$(PORT)/"
	@echo
	@echo "The worker (e-mail, SMS, uploads: the task engine) runs beside the server; Ctrl-C stops both."
	$(BIN)/fapiao worker & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
		$(BIN)/fapiao runserver --noreload $(HOST):$(PORT)

## test: lint, type-check, migrations check, then every test on SQLite and on PostgreSQL
test: check unit integration integration-pg

## check: ruff, mypy on the domain, no missing migration
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	FAPIAO_VAR_DIR=$$(mktemp -d) $(BIN)/fapiao makemigrations --check --dry-run
	FAPIAO_VAR_DIR=$$(mktemp -d) $(BIN)/fapiao openapi --check

## openapi: write docs/openapi.json from the code (commit it with the API change)
openapi: $(STAMP)
	FAPIAO_VAR_DIR=$$(mktemp -d) $(BIN)/fapiao openapi

unit: $(STAMP) system-packages
	$(BIN)/pytest tests/unit --cov=fapiao.domain --cov-report=term-missing:skip-covered \
		--cov-fail-under=95

integration: $(STAMP) test-packages $(ASSETS)
	FAPIAO_VAR_DIR=$$(mktemp -d) $(BIN)/pytest tests/integration tests/browser

integration-pg: $(STAMP) system-packages $(ASSETS)
	FAPIAO_VAR_DIR=$$(mktemp -d) FAPIAO_DATABASE_URL=$(FAPIAO_TEST_PG_URL) \
		$(BIN)/pytest tests/integration

## screenshots: the main pages at 1366 px and 390 px into docs/screenshots (for the README)
screenshots: $(STAMP) test-packages $(ASSETS)
	FAPIAO_VAR_DIR=$$(mktemp -d) FAPIAO_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:randomly \
		tests/browser/test_console.py -k each_role

## bench: print throughput figures
bench: $(STAMP) system-packages
	$(BIN)/python bench/domain.py
	$(BIN)/python bench/issue.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/receive.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
