# The README's two commands: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := tests/js/node_modules/.installed
CHROMIUM   := /usr/bin/chromium

.PHONY: demo test lint typecheck schema bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The reference GraphQL-over-HTTP audit suite (graphql-http) runs in Node.js.
$(NODE_STAMP): tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --silent
	touch $(NODE_STAMP)

# Page tests drive Debian's chromium through Playwright (never a downloaded browser).
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

demo: $(STAMP)
	$(BIN)/hub demo

serve: $(STAMP)
	$(BIN)/hub serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy hub schema adapters bench

# Backends: HUB_TEST_BACKENDS=sqlite,postgresql with HUB_TEST_POSTGRES_URL (see .ci/run).
test: $(STAMP) $(NODE_STAMP) $(CHROMIUM) lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

schema: $(STAMP)
	$(BIN)/python -m schema > schema/schema.graphql

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var tests/js/node_modules .pytest_cache .mypy_cache .ruff_cache
