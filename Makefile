# Two entry points on a fresh machine (see README.md):
#   make demo   set up .venv, generate the synthetic benchmark, train + evaluate the baseline,
#               write tube visualisations
#   make test   set up .venv, check the style (make lint) and run the whole test suite (slow
#               end-to-end tests included)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo lint test test-fast

setup:
	bash tools/setup_env.sh

demo: setup
	PATH="$(abspath $(VENV))/bin:$$PATH" bash demo/synthetic_demo.sh

# flake8, isort, yapf, codespell as .pre-commit-config.yaml defines them (local hooks: the
# venv's pinned tools, no network)
lint: setup
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

test: setup lint
	$(PY) -m pytest tests

test-fast: setup
	$(PY) -m pytest tests -m "not slow"
