# Two commands do all set-up on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8501
EVAL ?= data/dev.jsonl

.PHONY: run test test-postgres install model index lint eval cv fit bench bench-replicas browser postgres nginx clean

## Serve the app on HOST:PORT (default 127.0.0.1:8501), after creating the venv and building or
## updating the index; the model loads before the server listens (serve.py).
run: index
	$(BIN)/python serve.py --host $(HOST) --port $(PORT)

## Lint, then run every test (the real model, FAISS, Streamlit and a headless Chromium).
test: model
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## The audit, staff and replica tests against a real PostgreSQL (and nginx in front of two replicas): each
## test session starts a throwaway cluster in a temp folder and stops it; a test that cannot run fails here.
test-postgres: model postgres nginx
	MBC_TEST_POSTGRES=required $(BIN)/python -m pytest -m postgres

## Create .venv and install the pinned requirements (again only when they change).
install: $(INSTALLED)

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(INSTALLED)

## Fine-tune the embedding model into var/model/ from models/encoder.json and data/train.jsonl
## (deterministic; about 3-4 minutes on 2 cores, skipped when var/model/ is current).
model: install
	$(BIN)/python -m learn model

## Build the index, or update it incrementally.
index: model
	$(BIN)/python -m ingest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The maintainer's check after re-indexing: answer quality on a labelled file.
eval: index
	$(BIN)/python -m evaluation $(EVAL)

## 5-fold cross-validation of everything learned, on data/train.jsonl (a fine-tune per fold: slow).
cv: install
	$(BIN)/python -m learn cv

## Cross-validate, then refit models/*.json and var/model/ on every labelled message.
fit: install
	$(BIN)/python -m learn fit

## Speed and memory figures (prints tables; see "Performance" in README.md). bench.scale takes a while.
bench: index
	$(BIN)/python -m bench.ask
	$(BIN)/python -m bench.concurrency
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.scale

## Two replicas on PostgreSQL under chat sessions in Chromium, with a re-index in the middle (docs/performance.md).
bench-replicas: index postgres browser
	$(BIN)/python -m bench.replicas

## Debian's Chromium for the browser tests (root, as on CI).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

## Debian's PostgreSQL server for test-postgres and bench-replicas (root, as on CI); no cluster is kept running.
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)

## Debian's nginx (the reverse proxy of the reference deployment, docs/deploy/nginx.conf) for test-postgres.
nginx:
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx-light)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache tests/artifacts
