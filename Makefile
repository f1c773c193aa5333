# Set-up, demo and tests. Everything lives in the virtualenv at .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench clean

setup: $(STAMP)

# Re-install only when the dependency pins change.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

demo: setup  ## generate a small province and run every capability on it
	$(BIN)/telcolens demo $(ARGS)

test: setup  ## the whole suite, Spark included
	$(BIN)/pytest $(ARGS)

test-fast: setup  ## everything but the Spark tests
	$(BIN)/pytest -m "not spark" $(ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: setup  ## the 50M-row profile benchmark (see docs/benchmarks.md)
	$(BIN)/python benchmarks/bench_profile.py $(ARGS)

clean:
	rm -rf $(VENV) telcolens-demo .pytest_cache
