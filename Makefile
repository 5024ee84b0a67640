# Two entry points for newcomers: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint check bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The LangGraph server (the server extra) in its own environment; see README, "The LangGraph server".
.venv-server/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-server
	.venv-server/bin/python -m pip install --quiet --upgrade pip
	.venv-server/bin/python -m pip install --quiet -e '.[server]'
	@touch .venv-server/.installed

demo: $(STAMP)
	$(BIN)/daedalus run board_meeting

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	.ci/typecheck

check: test lint

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
