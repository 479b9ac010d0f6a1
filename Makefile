# jianghua: `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed

.DEFAULT_GOAL := help

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  /'

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

.cache/.browser:
	@mkdir -p .cache
	@bash scripts/install-browser.sh && touch .cache/.browser || true

## setup: create .venv and install everything (done automatically by the other targets)
setup: $(STAMP) .cache/.browser

## figures: rerun every notebook headless on corpus/ and write the figures into figures/
figures: $(STAMP)
	$(PY) -m jianghua.run

## test: run the test suite (lint and stripped notebooks included)
test: setup
	$(PY) -m ruff check lib tests notebooks
	$(PY) -m ruff format --check lib tests notebooks
	$(PY) -m jianghua.notebook_check notebooks
	$(PY) -m pytest

## lint: fix what ruff can fix and format the code and notebooks
lint: $(STAMP)
	$(PY) -m ruff check --fix lib tests notebooks
	$(PY) -m ruff format lib tests notebooks
	$(PY) -m nbstripout notebooks/*.ipynb

## lab: open JupyterLab on the notebooks
lab: $(STAMP)
	$(PY) -m pip install --quiet -e '.[lab]'
	$(PY) -m jupyter lab notebooks

## bench: segmentation speed (jieba vs rjieba) and cache warm/cold on >=10 MB of seed text
bench: $(STAMP)
	$(PY) -m jianghua.bench segment

## bench-scale: the whole pipeline on a synthetic corpus of 10,000 speeches (~100 MB)
bench-scale: $(STAMP)
	$(PY) -m jianghua.scale

.PHONY: help setup figures test lint lab bench bench-scale
