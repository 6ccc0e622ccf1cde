# Kultialogo: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
# axe-core for the accessibility tests (tests/e2e/test_accessibility.py), an exact version from
# npm, kept under .cache/ (git-ignored); the tests read the version from this line.
AXE_VERSION := 4.14.1
AXE_DIR := .cache/axe-core-$(AXE_VERSION)

PIP := $(BIN)/pip --quiet --disable-pip-version-check

.PHONY: run test install install-test lock bench clean

# Recipes start with @: `make run` prints what a newcomer needs (the address, the accounts),
# not the commands; pip is quiet unless something fails.
$(BIN)/python:
	@echo "Making the virtualenv $(VENV)"
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot make a virtualenv: on Debian run 'apt-get install python3-venv' first."; exit 1; }
	@$(PIP) install --upgrade pip

# A regular (non-editable) install: what `pip install .` gives an operator, migrations and
# shell included, so the tests exercise the real package.
# Every dependency comes from the committed lock (exact versions and hashes), never from the
# open ranges in pyproject.toml alone: a newcomer installs what CI tested. `make lock` renews it.
install: $(BIN)/python
	@echo "Installing Kultialogo into $(VENV) (exact versions from requirements/main.lock)"
	@$(PIP) install --require-hashes -r requirements/main.lock
	@$(PIP) install --no-deps .

install-test: $(BIN)/python $(AXE_DIR)/node_modules/axe-core/axe.min.js
	@echo "Installing Kultialogo and its test tools into $(VENV) (requirements/test.lock)"
	@$(PIP) install --require-hashes -r requirements/test.lock
	@$(PIP) install --no-deps .

# Renew the lock files after changing dependencies in pyproject.toml (uv resolves in seconds;
# it is a maintainer's tool, not a dependency of the app).
lock: $(BIN)/python
	$(PIP) install uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet -o requirements/main.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes --quiet -o requirements/test.lock

$(AXE_DIR)/node_modules/axe-core/axe.min.js:
	@command -v npm >/dev/null 2>&1 || { echo "The accessibility tests need npm: on Debian run 'apt-get install npm' first."; exit 1; }
	@echo "Fetching axe-core $(AXE_VERSION) for the accessibility tests into $(AXE_DIR)"
	@npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION)

# Serve the app with demo content on SQLite (data in ./kultialogo-data); it ends by printing
# the address to open and the demo accounts. HOST=0.0.0.0 serves phones on the local network.
run: install
	@$(BIN)/kultialogo run --demo --host $(HOST) --port $(PORT)

# The whole suite, on SQLite and PostgreSQL, browser tests included, in two passes: the
# server-side tests on every core (pytest-xdist; each worker has its own SQLite files and
# PostgreSQL database, and the Redis tests share one worker through their xdist_group), then
# the browser tests one at a time (Chromium under CPU throttling and offline timing must not
# compete with another browser). Both passes always run; either
# failing fails the target. `make test PYTEST_ARGS=tests/media` runs just those, in one pass.
TEST_WORKERS ?= auto
test: install-test
ifdef PYTEST_ARGS
	$(BIN)/python -m pytest $(PYTEST_ARGS)
else
	@status=0; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=tests/e2e || status=$$?; \
	$(BIN)/python -m pytest tests/e2e || status=$$?; \
	exit $$status
endif

# Every benchmark in turn; each prints its figures next to the issue's targets (see bench/).
bench: install-test
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/push_cpu.py
	$(BIN)/python bench/media.py
	$(BIN)/python bench/dashboard.py --db sqlite,postgresql
	$(BIN)/python bench/shell_size.py
	$(BIN)/python bench/slow_network.py
	$(BIN)/python bench/i18n_weight.py
	$(BIN)/python bench/observability.py
	$(BIN)/python bench/faces.py
	$(BIN)/python bench/voice_disguise.py
	$(BIN)/python bench/blur.py
	$(BIN)/python bench/hotpaths.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) build *.egg-info kultialogo-data .pytest_cache test-artifacts .cache
