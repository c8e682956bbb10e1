# Warren: `make run` starts the broker, `make test` runs every check. Both install and build what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 5672
DATA_DIR ?= ./data
RABBITMQ_URL ?= amqp://guest:guest@localhost:5672

.PHONY: help install build run test typecheck generate-check unit conformance conformance-rabbitmq rabbitmq garagemq pika bench bench-readme bench-check stress fuzz celery chromium conformance-clients upstream-suites clean

help:
	@echo "make run                   start Warren on port $(PORT) with data in $(DATA_DIR)"
	@echo "make test                  type-check, unit and integration tests, conformance suite"
	@echo "make conformance           conformance suite (AMQP_URL=... to target another broker)"
	@echo "make conformance-rabbitmq  the same suite against a local RabbitMQ (installed if missing)"
	@echo "make conformance-clients   real client libraries (installed from Debian if missing) against Warren, or AMQP_URL=..."
	@echo "make upstream-suites       amqplib's, pika's and amqp091-go's own test suites on RabbitMQ and on Warren, compared"
	@echo "make bench                 benchmarks (RABBITMQ=1 / GARAGEMQ=1 add those brokers' columns)"
	@echo "make bench-readme          rewrite the README's performance table from bench-results.json"
	@echo "make stress                many rounds of the kill -9 crash test"
	@echo "make fuzz                  a long protocol fuzz run (minutes, millions of frames)"

# npm ci when node_modules is missing or older than the lock file (it also builds, via prepare). A node_modules that
# is a symlink (a worktree sharing another checkout's install) is left alone: npm ci would empty the shared one.
node_modules/.package-lock.json: package-lock.json
	@if [ -L node_modules ]; then echo "node_modules is a symlink to a shared install; not running npm ci"; \
	else npm ci --no-audit --no-fund && touch $@; fi

install: node_modules/.package-lock.json

# The build (tsc into dist/src, then the esbuild bundle) runs only when a source, the spec, tsconfig or the lock file is
# newer than the bundle it ends with, so `make run` starts at once when nothing changed.
BUILD_INPUTS := $(shell find src spec -type f) tsconfig.json package.json package-lock.json

dist/bundle/main.js: $(BUILD_INPUTS) | install
	npm run build --silent

build: install dist/bundle/main.js

run: build
	node bin/warren --port $(PORT) --data-dir $(DATA_DIR)

generate-check: install
	node spec/generate.mjs --check

typecheck: install
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json
	npx tsc -p src/http/dashboard/app/tsconfig.json

# python3-pika is the second client the tests use (from Debian's packages).
pika:
	@/usr/bin/python3 -c 'import pika' 2>/dev/null || { \
	  echo "installing python3-pika from Debian's packages"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pika) >/dev/null; }

# python3-celery is the Celery round trip of the conformance suite (from Debian's packages).
celery:
	@/usr/bin/python3 -c 'import celery' 2>/dev/null || { \
	  echo "installing python3-celery from Debian's packages"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-celery) >/dev/null; }

# chromium drives the web dashboard's browser test (Debian's package; playwright-core downloads no browser).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium from Debian's packages"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

# RabbitMQ (installed and started by `make rabbitmq`) is what the definitions round trips and JSON shapes compare with.
unit: build pika chromium rabbitmq
	WARREN_REQUIRE_CHROMIUM=1 WARREN_REQUIRE_RABBITMQ=1 npx vitest run --config test/vitest.config.ts

conformance: build celery
	npx vitest run --config conformance/vitest.config.ts

test: generate-check typecheck unit conformance bench-check

# Real client libraries (amqplib, pika, aio-pika, kombu, amqp091-go, the Java client, php-amqplib,
# AnyEvent::RabbitMQ, rabbitmq-c's tools), installed from Debian's packages when missing, against a Warren it
# starts (and then rewrites the README's matrix), or against AMQP_URL.
conformance-clients: build
	@bash conformance/clients/install.sh
	node conformance/clients/run-matrix.mjs $(if $(AMQP_URL),,--update-readme)

# Client libraries' own test suites, offline: amqplib's broker tests and pika's acceptance tests vendored unchanged in
# test/fixtures/upstream/ (run against node_modules' amqplib and Debian's python3-pika), amqp091-go's integration tests
# from Debian's package; AMQPLIB_SRC, PIKA_SRC, AMQP091GO_SRC name checkouts instead. Run against the local RabbitMQ
# and against Warren in a private network namespace; fails when a test's result differs between the two.
UPSTREAM_PACKAGES = python3-pika python3-pytest python3-gevent python3-tornado golang-go golang-github-rabbitmq-amqp091-go-dev
upstream-suites: build rabbitmq
	@# What cannot be installed (not root, no such package) is reported; the runner then lists that suite as not run.
	@missing=$$(for p in $(UPSTREAM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	  if [ -n "$$missing" ] && [ "$$(id -u)" != 0 ]; then echo "upstream-suites: not root, cannot install:" $$missing; \
	  elif [ -n "$$missing" ]; then echo "installing from Debian's packages:" $$missing; \
	    apt-get update -qq >/dev/null 2>&1 || echo "upstream-suites: apt-get update failed"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
	      for p in $$missing; do DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null 2>&1 || \
	        echo "upstream-suites: could not install $$p"; done; fi
	node conformance/clients/upstream-suites.mjs

# Installs RabbitMQ from Debian's packages if missing, starts it if it is not running, enables the plugins the tests compare
# with (management, shovel, prometheus: its metrics on 15692), runs the same suite.
rabbitmq:
	@command -v rabbitmq-server >/dev/null || { \
	  echo "installing rabbitmq-server from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null; }
	@# su (pam_limits) starts it with 1,024 file descriptors (near 900 connections); the bench opens 10,000: allow our hard limit
	@test -f /etc/security/limits.d/rabbitmq.conf || ! test -w /etc/security/limits.d || \
	  echo "rabbitmq - nofile $$(ulimit -Hn)" > /etc/security/limits.d/rabbitmq.conf
	@rabbitmqctl -q status >/dev/null 2>&1 || { rabbitmq-server -detached; \
	  for i in $$(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done; }
	@rabbitmqctl -q await_startup >/dev/null
	@rabbitmq-plugins -q list -e rabbitmq_management | grep -q rabbitmq_management || rabbitmq-plugins -q enable rabbitmq_management >/dev/null
	@rabbitmq-plugins -q list -e rabbitmq_shovel_management | grep -q rabbitmq_shovel_management || rabbitmq-plugins -q enable rabbitmq_shovel rabbitmq_shovel_management >/dev/null
	@rabbitmq-plugins -q list -e rabbitmq_prometheus | grep -q rabbitmq_prometheus || rabbitmq-plugins -q enable rabbitmq_prometheus >/dev/null
	@for i in $$(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/15672) 2>/dev/null && break; sleep 1; done
	@for i in $$(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/15692) 2>/dev/null && break; sleep 1; done

conformance-rabbitmq: build rabbitmq celery
	AMQP_URL=$(RABBITMQ_URL) npx vitest run --config conformance/vitest.config.ts

# The long protocol fuzz run (make test runs 15 s): WARREN_FUZZ_SECONDS, WARREN_FUZZ_SEED to replay.
fuzz: build
	WARREN_FUZZ_SECONDS=$${WARREN_FUZZ_SECONDS:-300} npx vitest run --config test/vitest.config.ts test/integration/fuzz.test.ts

# Many rounds of the kill -9 crash test (make test runs three).
stress: build
	WARREN_CRASH_ROUNDS=$${WARREN_CRASH_ROUNDS:-50} npx vitest run --config test/vitest.config.ts test/integration/crash.test.ts

# Codec micro-benchmarks, then throughput and RPC latency of Warren and (if one runs on 5672) RabbitMQ side by side:
# each scenario a warm-up, then BENCH_RUNS (3) runs per broker, alternating brokers; results go to bench-results.json.
# make bench RABBITMQ=1 installs and starts RabbitMQ from Debian's packages first; GARAGEMQ=1 adds Debian's garagemq.
bench: build $(if $(RABBITMQ),rabbitmq,) $(if $(GARAGEMQ),garagemq,)
	npx vitest bench --run --config test/vitest.config.ts --dir test/bench
	npx tsc -p test/bench/tsconfig.json
	BENCH_GARAGEMQ=$(if $(GARAGEMQ),1,0) node dist/test/bench/perf.js
	node test/bench/readme-table.mjs --print

# The README's performance table, from bench-results.json (between its bench-table markers; never edited by hand).
bench-readme:
	node test/bench/readme-table.mjs

# GarageMQ (a Go AMQP broker) from Debian's packages, for make bench GARAGEMQ=1 (the bench starts its own instance).
garagemq:
	@command -v garagemq >/dev/null || { \
	  echo "installing garagemq from Debian's packages"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq garagemq) >/dev/null; }

# make test's check of the bench's runner and README script on a small bench (1 s runs, one scenario, Warren only):
# the numbers are not checked, only that every run is there and the table is rewritten (in a copy of the README).
bench-check: build
	npx tsc -p test/bench/tsconfig.json
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	BENCH_SECONDS=1 BENCH_WARMUP_SECONDS=0.5 BENCH_SCENARIOS='transient 1→1 auto-ack,RPC' BENCH_SIZES=16 \
	  BENCH_RABBITMQ=0 BENCH_GARAGEMQ=0 BENCH_IDLE_CONNECTIONS=0 BENCH_BACKLOG=0 BENCH_RESTART=0 BENCH_STREAM_REPLAY=0 \
	  BENCH_JSON=$$dir/bench-results.json node dist/test/bench/perf.js >$$dir/bench.log 2>&1 || { cat $$dir/bench.log; exit 1; }; \
	cp README.md $$dir/README.md && node test/bench/readme-table.mjs --json $$dir/bench-results.json --readme $$dir/README.md && \
	node test/bench/check-smoke.mjs $$dir/bench-results.json $$dir/README.md

clean:
	rm -rf dist
