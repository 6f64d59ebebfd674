# toolrouter: everything a fresh machine with only python3 needs.
#   make demo   set up, build data, train support_router_tiny, evaluate it (offline, CPU)
#   make test   set up, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
RECIPE ?= support_router_tiny
BIN     = $(VENV)/bin

.PHONY: install demo test test-slow train eval bench serve clean

# The stamp depends on pyproject.toml, so a dependency change reinstalls and a rerun is a no-op.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch pulled in by another package fetches GBs of CUDA wheels.
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The demo shows the whole job; a missed threshold (exit 1) is printed, not fatal. `make eval` gates.
demo: install
	$(BIN)/toolrouter train --recipe $(RECIPE) --overwrite
	$(BIN)/toolrouter eval --run runs/$(RECIPE) --split test || test $$? -eq 1

test: install
	$(BIN)/python -m pytest

test-slow: install
	$(BIN)/python -m pytest -m slow

train: install
	$(BIN)/toolrouter train --recipe $(RECIPE)

eval: install
	$(BIN)/toolrouter eval --run runs/$(RECIPE)

bench: install
	$(BIN)/python benchmarks/run_all.py

# An OpenAI-compatible endpoint on http://127.0.0.1:8000/v1 (Ctrl-C stops it after the requests in flight).
RUN ?= runs/$(RECIPE)
serve: install
	$(BIN)/toolrouter serve --run $(RUN)

clean:
	rm -rf $(VENV) runs build *.egg-info
