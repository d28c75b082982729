# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, cluster the shipped sample and print its events
#   make test   create .venv, install, run the whole test suite (slow tests included)
# and, once set up:
#   make test-fast   the tests not marked slow (no real model, Spark, Ray or full labelled set)
#   make lint        ruff check, ruff format --check, mypy on storycluster/
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean-venv

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/storycluster cluster data/sample/articles.jsonl -o out/sample_assignments.jsonl --top 12
	HF_HUB_OFFLINE=1 $(BIN)/storycluster evaluate data/sample/articles.jsonl --quiet

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest
	$(BIN)/ruff check storycluster tests

test-fast: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/peers.py --out benchmarks/results/results.json
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/quality.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/scale.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/bench_stream.py

lint: $(STAMP)
	$(BIN)/ruff check storycluster tests
	$(BIN)/ruff format --check storycluster tests
	$(BIN)/mypy storycluster

clean-venv:
	rm -rf $(VENV)
