# The README's two commands: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := tests/js/node_modules/.installed
CHROMIUM   := /usr/bin/chromium
GRAPHIQL   := hub/http/graphiql/graphiql.js
CJK_FONT   := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
BOARD      := hub/board/static/.built

.PHONY: demo graphiql board test topology lint typecheck schema bench bench-city serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The reference GraphQL-over-HTTP audit suite (graphql-http) runs in Node.js.
$(NODE_STAMP): tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --silent
	touch $(NODE_STAMP)

# The whistle board (/board): npm packages bundled by esbuild into hub/board/static.
$(BOARD): web/board/package.json web/board/package-lock.json web/board/build.mjs $(wildcard web/board/src/*)
	npm ci --prefix web/board --no-audit --no-fund --silent
	npm run --prefix web/board --silent build

board: $(BOARD)

# Page tests drive Debian's chromium through Playwright (never a downloaded browser).
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# A Chinese font, so that the board's screenshots show its text.
$(CJK_FONT):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei

# GraphiQL's page loads only the hub's own files: bundled here from the npm packages.
$(GRAPHIQL): web/graphiql/package.json web/graphiql/package-lock.json $(wildcard web/graphiql/src/*)
	npm ci --prefix web/graphiql --no-audit --no-fund --silent
	npm run --prefix web/graphiql --silent build

graphiql: $(GRAPHIQL)

# `make demo PORT=8001` (or HUB_PORT=8001) when 8000 is taken.
demo: $(STAMP) $(GRAPHIQL) $(BOARD)
	$(BIN)/hub demo $(if $(PORT),--port $(PORT))

serve: $(STAMP)
	$(BIN)/hub serve

# lint-imports: the import contracts in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy hub schema adapters bench

# Backends: HUB_TEST_BACKENDS=sqlite,postgresql with HUB_TEST_POSTGRES_URL (see .ci/run).
# The suite runs in TEST_WORKERS processes (pytest-xdist), each on private databases of its own;
# a test file stays on one worker, so its module fixtures (hub processes, receivers) start once.
TEST_WORKERS ?= 4
test: $(STAMP) $(NODE_STAMP) $(CHROMIUM) $(CJK_FONT) $(GRAPHIQL) $(BOARD) lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

schema: $(STAMP)
	$(BIN)/python -m schema > schema/schema.graphql

bench: $(STAMP) $(NODE_STAMP) $(BOARD) $(CHROMIUM)
	$(BIN)/python -m bench.run

# The city at scale (BENCHMARKS.md): PostgreSQL filled through `hub bench-data` to 200,000 and
# then 2,000,000 cases, pages by each filter at both sizes, and a front end's page under wrk
# against a hand-written endpoint. Not part of `make test`: the fill runs at ~200-1,000 cases/s
# on a 2-core machine, so the 2,000,000 take one to three hours. The database is kept between
# runs (CITY_URL), so a second run only measures.
CITY_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/hub_city
CITY_SIZES ?= 200000,2000000
WRK := /usr/bin/wrk
$(WRK):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk

bench-city: $(STAMP) $(WRK)
	$(BIN)/python -m bench.bench_city --url $(CITY_URL) --sizes $(CITY_SIZES)

# nginx + three hub processes on PostgreSQL and Redis, one killed mid-load (deploy/, BENCHMARKS.md).
NGINX := /usr/sbin/nginx
$(NGINX):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx

topology: $(STAMP) $(NGINX)
	timeout 900 $(BIN)/python -m bench.topology

clean:
	rm -rf $(VENV) var tests/js/node_modules web/graphiql/node_modules hub/http/graphiql web/board/node_modules hub/board/static .pytest_cache .mypy_cache .ruff_cache
