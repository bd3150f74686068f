# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/store
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: run test venv browser-deps sample lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

## make run: build the environment, load the sample data if no store exists, start the dashboard
run: $(STAMP)
	test -e $(DB) || $(BIN)/ehts ingest sample_data --db $(DB)
	EHTS_DB=$(DB) $(BIN)/streamlit run app.py

## make test: build the environment (browser included) and run every test
test: $(STAMP) browser-deps
	$(BIN)/python -m pytest

## Debian's chromium for the browser tests and axe-core for the accessibility check
browser-deps:
	bash tests/setup_browser.sh

## regenerate sample_data/ and examples/ssd/council.toml from the generator (tests check both)
sample: $(STAMP)
	rm -rf sample_data && $(BIN)/ehts sample --out sample_data
	rm -rf .ssd-sample && $(BIN)/ehts sample --format ssd --out .ssd-sample \
		&& cp .ssd-sample/council.toml examples/ssd/ && rm -rf .ssd-sample

## make lint: ruff on the Python, sqlfluff on queries/ (rules in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/sqlfluff lint queries

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
