# The two commands a newcomer needs: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup site test test-clock serve check pdf bench clean

# Building needs only the engine's own dependencies; the test tools (Playwright, pytest, pre-commit, ProperDocs)
# come with `make test`, so a first `make site` installs what building needs and nothing more.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# The engine was once installed under the name "qms" (someone else's project on the package index): remove it.
	@$(BIN)/python -m pip uninstall --quiet --yes qms 2>/dev/null || true
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(TEST_STAMP)

setup: $(TEST_STAMP) ## create .venv and install the pinned dependencies and the test tools

# Never add -q or -v here: in MkDocs 1.6.1 both let --strict pass despite warnings.
site: $(STAMP) ## build the example quality manual into site/
	$(BIN)/mkdocs build --strict

# The suite runs on every core (pytest-xdist); a test module's tests stay on one worker, so its shared fixtures
# (a built wheel, a new company's repository, a browser) are made once. JOBS=1 runs it in one process.
JOBS ?= auto
test: $(TEST_STAMP) ## run the test suite
	$(BIN)/pytest -n $(JOBS) --dist loadscope

# The suite again with the machine's clock years ahead (Debian's faketime): no outcome may depend on the date.
# Tests marked realclock run only in `make test`: libfaketime stops the timers of `mkdocs serve` and of the page
# time budget, and makes the package index's TLS certificates look expired to the new-company tests.
FAKE_CLOCK ?= 2031-06-15 10:00:00
test-clock: $(TEST_STAMP) ## run the test suite with the clock set to FAKE_CLOCK (needs faketime)
	faketime -f '@$(FAKE_CLOCK)' $(BIN)/pytest -n $(JOBS) --dist loadscope -p no:cacheprovider -m 'not realclock'

serve: $(STAMP) ## live preview on http://127.0.0.1:8000 (watches procedures/, records/, records_schema/, macros.py)
	$(BIN)/mkdocs serve

# qms pdf builds the site first unless site/ is a clean build of this commit, these changes and today.
pdf: $(STAMP) ## the manual as PDF: site/pdf/quality-manual.pdf and site/pdf/documents/ID.pdf (WeasyPrint, no browser)
	$(BIN)/qms pdf

check: $(STAMP) ## validate documents, references and records
	$(BIN)/qms check

bench: setup ## build, history and check costs on synthetic companies, against plain MkDocs (bench-output/)
	$(BIN)/python -m bench.run

clean:
	rm -rf site .pytest_cache test-output
