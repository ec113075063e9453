# Every target creates .venv and installs what it needs; nothing else is assumed.
# Installs, each a stamp file: the runtime (neuronlab and its dependencies: enough for
# `make study` and `make demo`, no PyTorch) and, on top of it, the test tools (the `test`
# extra: pytest, ruff, PyTorch CPU as the reference, ...) for `make test` and `make bench`;
# `make docs` adds only the `docs` extra to the runtime.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
TESTING := $(VENV)/.test
DOCS := $(VENV)/.docs

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

# The documentation tools (the `docs` extra: Sphinx, numpydoc, MyST, the theme) on top of
# the runtime; no test tools.
$(DOCS): pyproject.toml $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $@

# The documentation site, strict (a warning fails the build), offline: docs/_build/html
docs: $(DOCS)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "site: docs/_build/html/index.html"

lint: $(TESTING)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info docs/_build docs/api
