# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test setup install migrate demo courses certkeys translations lint format i18n bench clean oidc-op ralph

# The web server and one job consumer (SqliteHuey in instance/, no Redis); Ctrl-C stops both.
run: setup
	@$(FLASK) lms jobs consumer & consumer=$$!; \
	trap 'kill -INT $$consumer 2>/dev/null; wait $$consumer' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install translations oidc-op ralph
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The test OpenID Provider for tests/sso (node-oidc-provider): `npm ci` from the committed lockfile,
# repeated only when package-lock.json changes. Without npm the single sign-on tests are skipped
# (CI installs nodejs + npm and sets LMS_TEST_REQUIRE_OIDC=1, so there they fail instead).
OP_DIR := tests/sso/op
$(OP_DIR)/node_modules/.installed: $(OP_DIR)/package-lock.json
	@if command -v npm >/dev/null; then \
		cd $(OP_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: tests/sso will be skipped (apt-get install nodejs npm)"; fi

oidc-op: $(OP_DIR)/node_modules/.installed

# The test Learning Record Store for tests/xapi (ralph, an open-source LRS) in its own virtualenv, its pins
# apart from ours: built from the pinned tests/xapi/ralph/requirements.txt into ~/.cache/lms/ralph-<hash>,
# so a second run (or another clone) reuses it; a changed requirements file makes a new one.
RALPH_REQ := tests/xapi/ralph/requirements.txt
RALPH_VENV := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/lms/ralph-$(shell sha256sum $(RALPH_REQ) | cut -c1-12)
$(RALPH_VENV)/.installed: $(RALPH_REQ)
	rm -rf $(RALPH_VENV) && $(PYTHON) -m venv $(RALPH_VENV)
	$(RALPH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(RALPH_REQ)
	touch $@

ralph: $(RALPH_VENV)/.installed

setup: install translations migrate certkeys courses demo

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

# .mo files are rebuilt only when their .po changed, so two suites started together (.ci/run) never
# rewrite a catalogue the other is reading.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard lms/translations/*/LC_MESSAGES/messages.po))
translations: $(MO_FILES)

lms/translations/%/LC_MESSAGES/messages.mo: lms/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/python scripts/i18n.py compile

migrate: install
	$(FLASK) lms db upgrade

demo: migrate
	$(FLASK) lms demo-data

# Every course in courses/ (the three staff courses and the public citizens' course). The example
# course courses/_example/vi-du is not imported here: `flask --app wsgi lms courses import courses/_example/`.
courses: migrate
	@if [ -n "$$(ls courses/*/course.yaml 2>/dev/null)" ] && $(FLASK) lms courses --help >/dev/null 2>&1; then \
		$(FLASK) lms courses import courses/; fi

# Demo signing keys for certificates (self-signed CA under instance/signing/); kept if present.
# Production sets LMS_SIGNING_P12 / LMS_SIGNING_P12_PASSPHRASE instead (see docs/decisions/0603-certificates-signing-and-verification.md).
certkeys: migrate
	@if [ -z "$$LMS_SIGNING_P12" ]; then $(FLASK) lms certificates dev-keys; fi

# Re-extract messages after changing UI strings, then translate the vi catalogue.
i18n: install
	$(BIN)/python scripts/i18n.py update

# Guard rails (decision 1222): style, formatting, the one-way layering of lms/, and types.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/bandit -q -r lms -ll  # medium and high findings fail; each accepted one carries "# nosec Bxxx" and a reason

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
