# One command for the book, one for the tests; both create the environment first when needed.
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= full
BIN := $(VENV)/bin

.PHONY: book test verify-book env benchmark clean

book: $(BIN)/.installed
	$(BIN)/python -m recsae.book all --profile $(PROFILE)

test: $(BIN)/.installed
	$(BIN)/python -m pytest

# nbval re-executes every chapter of the full book and compares its outputs with the committed ones.
verify-book: $(BIN)/.installed
	$(BIN)/python -m pytest chapters

benchmark: $(BIN)/.installed
	$(BIN)/python benchmarks/foundation.py
	$(BIN)/python benchmarks/sae.py
	$(BIN)/python benchmarks/ensemble.py
	$(BIN)/python benchmarks/recommender_ensemble.py

env: $(BIN)/.installed

# torch first and alone, pinned: an unpinned torch can pull a multi-GB CUDA build.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps rbo==0.1.3
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

clean:
	rm -rf _build
