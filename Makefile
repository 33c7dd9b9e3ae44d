# pcmd: two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Prefect must never phone home; the machine may be offline.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: venv run test lint typecheck pytest bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: venv
	$(BIN)/pcmd serve

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy pcmd_workflow

pytest: venv
	$(BIN)/python -m pytest --cov=pcmd_workflow --cov-report=term --cov-report=xml:test-artifacts/coverage.xml $(PYTEST_ARGS)
	$(BIN)/python -m coverage report --include='pcmd_workflow/domain/*' --fail-under=90

test: lint typecheck pytest

bench: venv
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pcmd test-artifacts .pytest_cache .mypy_cache .ruff_cache
