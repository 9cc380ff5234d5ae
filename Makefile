# neo-streamer: every set-up step a fresh machine needs lives here.
# `make run` and `make test` are the two front-door commands (see README.md).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA := tools/kafka/kafka.sh

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit lint format bench soak kafka-up kafka-down kafka-status train data clean \
	container-deps container-image container-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-installs only when pyproject.toml changes: installing twice is a no-op.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

kafka-up: ## start the local single-node Kafka (KRaft) on 127.0.0.1:9092
	bash $(KAFKA) up

kafka-down: ## stop the local Kafka
	bash $(KAFKA) down

kafka-status: ## is the local Kafka running?
	bash $(KAFKA) status

lint: install ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check core streamer tests bench scripts
	$(BIN)/ruff format --check core streamer tests bench scripts
	$(BIN)/mypy

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix core streamer tests bench scripts
	$(BIN)/ruff format core streamer tests bench scripts

test: install ## lint, start a local broker if needed, run the whole test suite
	$(MAKE) --no-print-directory lint
	bash tools/run-tests.sh

test-unit: install ## unit tests only (no broker)
	$(BIN)/pytest tests/unit

soak: install ## reliability tests + 100,000-record SIGKILL soak on a real broker (~7 min); rewrites docs/reliability.md
	bash tools/run-tests.sh -m "soak or kafka" tests/integration/test_reliability_*.py tests/integration/test_hostile_input.py

container-deps: ## install podman, runc, debootstrap, chromium, promtool (Debian, as root) for the system-level tests
	bash tools/container/deps.sh

container-image: container-deps ## build the images with podman: base, broker, neo-streamer:<version>
	bash tools/container/build.sh all

container-test: install container-deps ## build the images, run broker + daemon containers: stop, kill, restart
	$(BIN)/pytest -p no:cacheprovider tests/integration/test_container.py

run: install ## local broker + bundled model + daemon + sample feed; shows alerts arriving
	bash tools/demo.sh

train: install ## train the ensemble on the bundled catalog into models/ and make it current
	$(BIN)/neo-streamer train --activate

bench: install ## benchmarks (real broker on loopback); writes bench/results/
	bash tools/run-bench.sh

data: install ## rebuild data/ from ../shared/data/raw (needs the shared folder)
	$(BIN)/python scripts/build_data.py

clean: ## remove the venv, local Kafka state and caches
	-bash $(KAFKA) down
	rm -rf $(VENV) .kafka .pytest_cache .mypy_cache .ruff_cache
