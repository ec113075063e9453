# Every target creates .venv and installs what it needs; nothing else is assumed.
# Two installs, each a stamp file: the runtime (neuronlab and its dependencies: enough for
# `make study` and `make demo`, no PyTorch) and, on top of it, the test tools (the `test`
# extra: pytest, ruff, PyTorch CPU as the reference, ...) for `make test` and `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
TESTING := $(VENV)/.test

.PHONY: study demo test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TESTING): pyproject.toml $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

study: $(RUNTIME)
	$(BIN)/neuronlab study

demo: $(RUNTIME)
	$(BIN)/neuronlab demo

bench: $(TESTING)
	$(BIN)/python -m benchmarks

test: $(TESTING)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -q -n 2

docs: $(RUNTIME)
	$(BIN)/python -m neuronlab.docs

lint: $(TESTING)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
