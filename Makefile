# Credit-scoring MLOps pipeline. `make` (or `make help`) lists the targets.
# Every target goes through `uv run`, so it works on a fresh machine once `make setup` has run
# (the targets that need the environment depend on setup).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3 || command -v python)
# uv itself: the one on PATH, else the copy `pip install uv` put next to $(PYTHON) (recursively
# expanded, so it is looked up again after `make setup` installed it).
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN = $(UV) run --frozen

RAW_SENTINEL := data/raw/application_train.csv
MLFLOW_HOST ?= 127.0.0.1
MLFLOW_PORT ?= 5000
PYTEST_ARGS ?=
BENCH ?= *
BENCH_ARGS ?=
APP_ARGS ?=
# the chromium the app's browser test drives (make browser installs it when missing)
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || echo /usr/bin/chromium)
MONITOR_ARGS ?=
SERVE_ARGS ?=
DATASET ?=     # conf/dataset/<DATASET>.yaml (e.g. written by `credit-scoring dataset init`); empty: params.yaml as it is
RAW ?=         # folder of that dataset's CSVs (paths.raw); empty: the configured one
REPORTS_HOST ?= 127.0.0.1
REPORTS_PORT ?= 8000
BATCHES := artifacts/batches/production
BATCH_LABELS := artifacts/batches/oracle

.PHONY: help setup browser data params run test lint format ui app reports monitor series bench clean
.PHONY: server server-stop server-status push pull
DVC_REMOTE ?=   # folder or URL of the DVC remote (s3://bucket/prefix, ...); empty: .dvc/config's `storage` (../.dvc-remote)
DVC_TARGETS ?=  # what push/pull move (stages, .dvc files); empty: the raw data and every stage output

help: ## List the targets (default goal)
	@echo "Usage: make TARGET"
	@echo
	@c=""; r=""; if [ -t 1 ]; then c=$$'\033[36m'; r=$$'\033[0m'; fi; \
	awk -v c="$$c" -v r="$$r" 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_-]+:.*?## / {printf "  %s%-8s%s %s\n", c, $$1, r, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Start with: make run   (then: make test)"

setup: ## Install uv if missing (pip install uv), then the locked environment (uv sync --frozen)
	@if ! command -v uv >/dev/null 2>&1 && ! $(PYTHON) -m uv --version >/dev/null 2>&1; then \
		echo "uv not found: installing it with pip"; \
		$(PYTHON) -m pip --version >/dev/null 2>&1 || $(PYTHON) -m ensurepip --upgrade; \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check uv; \
	fi
	$(UV) sync --frozen

data: setup ## Create the embedded default dataset in data/ (only if data/raw/application_train.csv is missing)
	@if [ -n "$(DATASET)" ] && [ "$(DATASET)" != home_credit ]; then \
		echo "data: dataset $(DATASET): its own CSVs are read, no dataset is generated"; \
	elif [ -f $(RAW_SENTINEL) ]; then \
		echo "data: $(RAW_SENTINEL) exists, keeping data/ as it is (delete data/ to regenerate)"; \
	else \
		$(RUN) credit-scoring generate; \
	fi

run: setup data ## Setup + data + the pipeline (dvc repro); DATASET=name [RAW=folder]: your own portfolio
	@if [ -n "$(DATASET)" ]; then \
		$(RUN) python pipelines/params.py dataset=$(DATASET) $(if $(RAW),paths.raw=$(abspath $(RAW))); \
	fi
	@if [ -f dvc.yaml ] && [ -f data.dvc ] && ! $(RUN) dvc status -q data.dvc; then \
		echo "run: the raw data changed since data.dvc: checking it before DVC records it"; \
		$(RUN) python pipelines/ingest.py --check; \
	fi
	@if [ -f dvc.yaml ]; then \
		$(RUN) dvc repro; \
	else \
		echo "run: no pipeline stage exists yet (no dvc.yaml): only the dataset was prepared."; \
	fi
	@echo
	@echo "Results:"
	@echo "  data/raw/        the 8 Home Credit CSVs the pipeline reads (data/oracle/: oracle + drift manifest)"
	@if [ -d artifacts ]; then echo "  artifacts/       pipeline stage outputs"; fi
	@if [ -d reports ]; then echo "  reports/         reports: $$(ls reports | head -5 | tr '\n' ' ')"; fi
	@if [ -f mlruns/mlflow.db ]; then echo "  mlruns/          MLflow runs and models"; fi
	@echo "  make ui          opens the MLflow UI on http://$(MLFLOW_HOST):$(MLFLOW_PORT)"
	@echo "  make app         opens the relationship managers' app"
	@echo "  make reports     serves the auditors' reports (drift, model card, EDA) on http://$(REPORTS_HOST):$(REPORTS_PORT)"

browser: ## Install Debian's chromium for the app's browser test when it is missing (root + apt-get; else the test skips)
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "browser: chromium is missing: installing it (browser test of the app)"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium </dev/null; } \
				|| echo "browser: chromium could not be installed: the app's browser test will be skipped"; \
		else \
			echo "browser: chromium is missing (not root or no apt-get): the app's browser test will be skipped"; \
		fi; \
	fi

test: setup browser ## Run the whole test suite (unit + integration + slow) with pytest; installs chromium when missing
	@rc=0; $(RUN) pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "test: FAILED: pytest collected no tests (exit code 5), which counts as a failure" >&2; \
	fi; \
	exit $$rc

lint: ## Lint, check formatting and the layers contract (ruff check, ruff format --check, lint-imports)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

format: ## Format the code and apply ruff's safe fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

ui: ## Open the MLflow UI on 127.0.0.1:5000 (runs in mlruns/)
	@mkdir -p mlruns/artifacts
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(RUN) mlflow server \
		--backend-store-uri sqlite:///mlruns/mlflow.db \
		--default-artifact-root ./mlruns/artifacts \
		--host $(MLFLOW_HOST) --port $(MLFLOW_PORT) --workers 1

server: setup ## Start the team's tracking server: PostgreSQL + MLflow with basic auth (MLFLOW_TRACKING_PASSWORD from env; scripts/server.sh)
	scripts/server.sh start

server-stop: ## Stop the tracking server and its PostgreSQL
	scripts/server.sh stop

server-status: ## Is the tracking server running?
	scripts/server.sh status

push: ## Push the raw data and every stage output to the DVC remote (DVC_REMOTE=folder|s3://...: set it first)
	@if [ -n "$(DVC_REMOTE)" ]; then \
		$(RUN) dvc remote modify --local storage url "$(if $(findstring ://,$(DVC_REMOTE)),$(DVC_REMOTE),$(abspath $(DVC_REMOTE)))"; \
	fi
	$(RUN) dvc push $(DVC_TARGETS)

pull: ## Pull the raw data and every stage output from the DVC remote (then dvc repro has nothing to run)
	@if [ -n "$(DVC_REMOTE)" ]; then \
		$(RUN) dvc remote modify --local storage url "$(if $(findstring ://,$(DVC_REMOTE)),$(DVC_REMOTE),$(abspath $(DVC_REMOTE)))"; \
	fi
	$(RUN) dvc pull $(DVC_TARGETS)

app: ## Open the relationship managers' app over the champion (auth from env, see conf/serving/default.yaml; APP_ARGS="serving.port=7861 ...")
	$(RUN) python app/main.py $(APP_ARGS)

reports: ## Serve reports/ read-only: index.html lists every report by date (drift, model card, EDA, series)
	@test -d reports || { echo "reports: no reports/ yet: run make run first" >&2; exit 1; }
	$(RUN) credit-scoring reports --dir reports
	@echo "Serving reports/ on http://$(REPORTS_HOST):$(REPORTS_PORT)/ (Ctrl-C to stop)"
	$(RUN) python -m http.server --directory reports --bind $(REPORTS_HOST) $(REPORTS_PORT)

.PHONY: serve
serve: ## Serve the champion over REST (mlflow models serve, loopback; SERVE_ARGS="serving.rest.port=5002"); POST /invocations
	$(RUN) credit-scoring serve $(SERVE_ARGS)

monitor: ## Drift report of a production batch against the champion (MONITOR_ARGS="--current FILE --fail-on-drift")
	$(RUN) credit-scoring monitor $(MONITOR_ARGS)

series: ## Drift over time: 6 generated monthly batches with growing drift, PSI per feature per month
	@if [ ! -d $(BATCHES) ]; then $(RUN) credit-scoring batches --out $(BATCHES) --oracle-dir $(BATCH_LABELS); fi
	$(RUN) credit-scoring monitor --series $(BATCHES) --labels $(BATCH_LABELS)

params: setup ## Regenerate params.yaml from conf/ (never edit params.yaml by hand)
	$(RUN) python pipelines/params.py

bench: ## Run the benchmarks (benchmarks/*.py; one of them: make bench BENCH=generate BENCH_ARGS="--sizes 30000")
	@for script in benchmarks/$(BENCH).py; do \
		echo "== $$script"; \
		$(RUN) python "$$script" $(BENCH_ARGS); \
	done

clean: ## Remove caches and build leftovers (keeps data/, artifacts/ and mlruns/)
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .coverage htmlcov build dist benchmarks/out
	find . -path ./.venv -prune -o -type d -name '*.egg-info' -exec rm -rf {} +
