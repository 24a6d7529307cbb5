# make lint: ruff (pinned in requirements-dev.txt, configured in
# pyproject.toml) over the whole tree; `make test` runs it first.
HELP += "  make lint         ruff over the tree (pyproject.toml); make test runs it first"

.PHONY: lint
lint: setup-venv
	$(VENV)/bin/ruff check .

# make merges this with the Makefile's own `test: setup` (setup, then lint);
# the test recipe starts only after both
test: lint
