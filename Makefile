# Every target sets up .venv/ itself, so `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock

.PHONY: run test lint typecheck schemas schemas-check system-deps lock clean bench bench-quick

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "newswire needs Python 3.11+")'
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): $(BIN)/python pyproject.toml requirements.lock
	$(PIP) -e .
	touch $@

$(DEV): $(RUNTIME)
	$(PIP) -e '.[dev]'
	touch $@

run: $(RUNTIME)  ## set up, then run the whole pipeline on this machine
	$(BIN)/newswire run

test: $(DEV) system-deps lint typecheck schemas-check  ## set up, then lint, type-check and run every test
	$(BIN)/pytest

bench: $(DEV)  ## every benchmark (~15 min); writes docs/benchmarks.md and docs/benchmarks.png
	$(BIN)/python -m bench.suite

bench-quick: $(DEV)  ## the same benchmarks with smaller N (< 3 min); writes bench/results/
	$(BIN)/python -m bench.suite --quick

.PHONY: eval
eval: $(RUNTIME)  ## tag the hand-labelled dev set: entity P/R/F1, country codes, topic accuracy, speed
	$(BIN)/python eval/evaluate.py

system-deps:  ## Debian packages the tests need (Prometheus; Java 17 if missing)
	bash scripts/ci-system-deps.sh

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV)
	$(BIN)/mypy

schemas: $(RUNTIME)  ## regenerate schemas/json/ from the models
	$(BIN)/python -m schemas.generate

schemas-check: $(RUNTIME)
	$(BIN)/python -m schemas.generate --check

lock: $(DEV)  ## re-pin every transitive dependency after changing pyproject.toml
	$(BIN)/pip freeze --exclude-editable | grep -v '^newswire' > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
