# driftguard: `make demo` and `make test` work on a fresh machine from a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv debian-packages test check lint typecheck layers pytest pytest-quick demo bench bench-serve bench-guard bench-rollback clean

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
	$(BIN)/mypy --strict

layers: venv
	$(BIN)/lint-imports

# promtool, prometheus, alertmanager and chromium for the real-service tests (when missing)
debian-packages:
	bash .ci/debian-packages

pytest: venv debian-packages
	$(BIN)/python -m pytest -q

test: lint typecheck layers pytest

# The quick tier between edits: lint, types, layers and every test not marked slow (no Debian
# installs; the real-service tests are all marked slow).
pytest-quick: venv
	$(BIN)/python -m pytest -q -m "not slow"

check: lint typecheck layers pytest-quick

demo: venv
	$(BIN)/driftguard demo

# Benchmarks live in benchmarks/ (dev only, never in the wheel).
bench: venv
	$(BIN)/python -m benchmarks.drift

bench-serve: venv
	$(BIN)/python -m benchmarks.serve

bench-guard: venv
	$(BIN)/python -m benchmarks.guard

bench-rollback: venv
	$(BIN)/python -m benchmarks.rollback

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
