# Set-up, demo and tests. Everything lives in the virtualenv at .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The console's third-party assets (ECharts, Shandong's city shapes, Swagger UI), from npm.
WEB := src/telcolens/web
WEB_STAMP := $(WEB)/node_modules/.installed

.PHONY: setup test-deps demo-deps demo test test-fast lint bench clean

setup: $(STAMP) $(WEB_STAMP)

# Re-install only when the dependency pins change.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the tests drive: Chromium for the browser tests (Playwright drives it; it
# never downloads one), a Chinese font for the console's screenshots, net-snmp's snmptrap
# and util-linux's logger as real clients of the alarm receivers, and nats-server (with
# JetStream, on 127.0.0.1:4222, started here if nothing listens there) for tests/streams.
test-deps:
	@command -v chromium >/dev/null 2>&1 && command -v snmptrap >/dev/null 2>&1 && \
	command -v logger >/dev/null 2>&1 && command -v nats-server >/dev/null 2>&1 && \
	perl -MNet::SMPP -e1 >/dev/null 2>&1 && fc-list :lang=zh | grep -q . || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		$$SUDO apt-get install -y -qq chromium fonts-wqy-microhei snmp bsdutils nats-server \
			libnet-smpp-perl \
			>/dev/null; }
	@$(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 4222), 1)" \
		2>/dev/null || { nohup nats-server -js -a 127.0.0.1 -p 4222 \
		-sd $${TMPDIR:-/tmp}/telcolens-nats >$${TMPDIR:-/tmp}/telcolens-nats.log 2>&1 & \
		sleep 2; }

# The demo's SMS round trip runs through a real SMSC on loopback: Net::SMPP (Perl).
demo-deps:
	@perl -MNet::SMPP -e1 >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libnet-smpp-perl >/dev/null; }

demo: setup demo-deps  ## generate a small province and run every capability on it
	$(BIN)/telcolens demo $(ARGS)

test: setup test-deps  ## the whole suite, Spark, PostgreSQL and the browser included
	$(BIN)/pytest $(ARGS)

test-fast: setup  ## everything but the Spark and browser tests
	$(BIN)/pytest -m "not spark and not browser" $(ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: setup  ## the 50M-row profile benchmark (see docs/benchmarks.md)
	$(BIN)/python benchmarks/bench_profile.py $(ARGS)

clean:
	rm -rf $(VENV) $(WEB)/node_modules telcolens-demo build .pytest_cache
