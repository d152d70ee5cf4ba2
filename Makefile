# driftguard: `make demo` and `make test` work on a fresh machine from a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv debian-packages test lint typecheck layers pytest demo bench bench-serve clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[all]" --group dev
	@touch $(STAMP)

lint: venv
	$(BIN)/ruff check driftguard services tests benchmarks
	$(BIN)/ruff format --check driftguard services tests benchmarks

typecheck: venv
	$(BIN)/mypy --strict driftguard services

layers: venv
	$(BIN)/lint-imports

# promtool, prometheus, alertmanager and chromium for the real-service tests (when missing)
debian-packages:
	bash .ci/debian-packages

pytest: venv debian-packages
	$(BIN)/python -m pytest -q

test: lint typecheck layers pytest

demo: venv
	$(BIN)/driftguard demo

bench: venv
	$(BIN)/driftguard bench drift

bench-serve: venv
	$(BIN)/driftguard bench serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
