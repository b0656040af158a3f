# The project's commands. `make demo` brings everything up; `make test` installs and runs all tests.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
APT_PACKAGES := chromium chromium-driver nginx redis-server postgresql libzbar0 wrk docker-compose openssl docker.io

.PHONY: setup venv sysdeps migrate test test-fast test-chaos lint demo bench bench-failover chaos soak clean

setup: sysdeps venv

venv: .venv/.installed node_modules/.installed

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

# The dashboard's browser libraries (served under /vendor/) and its dev tools (ESLint, Prettier,
# axe-core for the accessibility tests, Lighthouse for `make bench`), exactly as package-lock.json
# pins them; reinstalled only when node_modules is missing or older than package.json / the lock.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (dashboard /vendor/ files)"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# Missing Debian packages are installed only when running as root (CI, fresh machine).
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (run 'sudo make sysdeps')"; exit 1; fi; \
	fi

migrate: venv
	$(PY) -m shared.db.migrate

test: setup
	bash infra/scripts/services.sh ensure-test
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15 -m "not chaos_long"

# every chaos test (tests/chaos), the long ones included: ~3 min
test-chaos: setup
	bash infra/scripts/services.sh ensure-test
	$(PY) -m pytest -q -p no:cacheprovider tests/chaos

test-fast: venv
	$(PY) -m pytest -q -m "not e2e"

# the dashboard's JavaScript, the two browser extensions (passkey signer and relay) and the bench's
# Node scripts: ESLint and Prettier, pinned in package.json
JS_SOURCES := gateway/web/static gateway/web/signer-extension worker/browser/extension bench/*.mjs eslint.config.mjs

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	node_modules/.bin/eslint $(JS_SOURCES)
	node_modules/.bin/prettier --check $(JS_SOURCES)

demo: setup
	bash infra/scripts/demo.sh

bench: setup
	bash infra/scripts/services.sh ensure-test
	$(PY) -m bench

# failover figures (issue 16) as JSON: private Redis/Postgres, two hosts, kill -9, restarts, a cut
chaos: setup
	$(PY) -m bench.chaos --runs $${RUNS:-10}

# the session's holder killed ten times: seconds until ready on the other host's worker (JSON)
bench-failover: setup
	bash infra/scripts/services.sh ensure-test
	$(PY) -m bench.failover

# one linked session for 30 minutes: 2,000 inbound and 500 outbound messages (bench/soak.py);
# SOAK_ARGS="--minutes 3 --inbound 200 --outbound 50" for a short run
soak: setup
	bash infra/scripts/services.sh ensure-test
	$(PY) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf .run build *.egg-info .pytest_cache .mypy_cache .ruff_cache
