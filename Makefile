# datapark: `make run` starts the whole platform, `make test` runs every check and test.
# Both set up what is missing first (uv and the Python environment, Postgres, Kafka).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(PYTHON) -m uv
SERVICES := catalog trading rental subsidy
PG_PORT ?= $(or $(DATAPARK_PG_PORT),54329)
TEST_DB_URL := postgresql+asyncpg://datapark:datapark@127.0.0.1:$(PG_PORT)/datapark_test

.PHONY: help setup deps stack migrate migrate-test topics run test lint typecheck importlint \
        unit integration e2e bench schemas stop clean k8s-tools secure-kafka tck-fetch chromium \
        asyncapi-tools chaos profile

help:
	@echo "make run    - set up and start Kafka, Postgres and all four services (Ctrl-C stops)"
	@echo "make test   - set up, then ruff, mypy, import-linter and every test"
	@echo "make stop   - stop Kafka and Postgres;  make clean - also delete their data"

deps:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@bash scripts/ensure_cc.sh $(PYTHON)
	@$(UV) sync --all-packages --frozen --quiet

stack:
	@bash deploy/local/stack.sh up

migrate: deps stack
	@for s in $(SERVICES); do $(UV) run --frozen alembic -c services/$$s/alembic.ini upgrade head || exit 1; done
	@echo "[make] migrations applied to database datapark"

migrate-test: deps stack
	@for s in $(SERVICES); do DATAPARK_MIGRATIONS_DATABASE_URL=$(TEST_DB_URL) $(UV) run --frozen alembic -c services/$$s/alembic.ini upgrade head || exit 1; done
	@# the models and the migrations must describe the same tables
	@for s in $(SERVICES); do DATAPARK_MIGRATIONS_DATABASE_URL=$(TEST_DB_URL) $(UV) run --frozen alembic -c services/$$s/alembic.ini check || exit 1; done
	@echo "[make] migrations applied to database datapark_test"

topics: deps stack
	@$(UV) run --frozen python -m datapark_eventing.topics

setup: deps stack migrate topics

run: setup
	@bash scripts/run.sh

lint: deps
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .

typecheck: deps
	@$(UV) run --frozen mypy libs services

importlint: deps
	@$(UV) run --frozen lint-imports

schemas: deps
	@$(UV) run --frozen python -m datapark_contracts.schemas export

# kustomize, kubeconform and the schemas that deploy/k8s is validated against (registries only)
k8s-tools:
	@bash deploy/k8s/validate/setup.sh

# the Eclipse DSP TCK (deploy/tck/pom.xml, Maven Central only) for tests/integration/dsp
tck-fetch:
	@if command -v mvn >/dev/null && command -v java >/dev/null; then bash deploy/tck/fetch.sh; \
	else echo "[make] no Java/Maven: the DSP TCK test will be skipped"; fi

# headless Chromium (Debian's package) renders the audit report in tests/integration/audit
chromium:
	@bash scripts/ensure_chromium.sh

# the official AsyncAPI parser (npm ci in tools/asyncapi) for tests/unit/contracts
asyncapi-tools:
	@bash tools/asyncapi/setup.sh

# the second, SASL_SSL broker of the Kafka security tests (stack.sh secure-up)
secure-kafka: deps
	@bash deploy/local/stack.sh secure-up

test: deps stack secure-kafka migrate-test topics lint typecheck importlint k8s-tools tck-fetch chromium \
      asyncapi-tools
	@DATAPARK_TEST_MIGRATED=1 $(UV) run --frozen pytest -p no:cacheprovider

# the same tests as `make test`, by kind: unit (no I/O), integration (the real Postgres and
# Kafka), e2e (the four services as processes on real ports)
unit: deps asyncapi-tools
	@$(UV) run --frozen pytest -p no:cacheprovider tests/unit

integration: deps stack secure-kafka migrate-test topics k8s-tools tck-fetch chromium
	@DATAPARK_TEST_MIGRATED=1 $(UV) run --frozen pytest -p no:cacheprovider tests/integration

e2e: deps stack migrate-test topics
	@DATAPARK_TEST_MIGRATED=1 $(UV) run --frozen pytest -p no:cacheprovider tests/e2e

bench: setup migrate-test
	@bash scripts/ensure_wrk.sh
	@$(UV) run --frozen python bench/paths.py
	@$(UV) run --frozen python bench/booking_page_build.py
	@$(UV) run --frozen python bench/outbox_relay.py
	@$(UV) run --frozen python bench/scaling.py
	@$(UV) run --frozen python bench/audit_verify.py
	@$(UV) run --frozen python bench/token_flood.py
	@$(UV) run --frozen python bench/lease_claim.py
	@$(UV) run --frozen python bench/lease_receivables.py

# the platform under load while Kafka, Postgres and processes fail (tests/chaos, its own stack
# in .local/chaos); writes docs/reliability.md from the run. CHAOS_PROFILE=60s for the short one.
chaos: deps
	@PYTHONPATH=tests $(UV) run --frozen python -m chaos.chaos_run --profile $(or $(CHAOS_PROFILE),5m) --doc docs/reliability.md

# py-spy flame graph (SVG) of datapark under one bench/paths.py section: booking (list) profiles
# the rental API process (one worker) under the booking hold (GET /v1/bookings) load; relay,
# consumer, write, event profile the bench process running datapark's side.
# make profile TARGET=consumer -> .local/profile-consumer.svg
profile: setup migrate-test
	@bash scripts/ensure_wrk.sh
	@mkdir -p .local
	@if [ "$(or $(TARGET),booking)" = booking ] || [ "$(TARGET)" = list ]; then \
		BENCH_PROFILE=$(CURDIR)/.local/profile-$(or $(TARGET),booking).svg \
		BENCH_BOOKING_PATHS=$(if $(filter list,$(TARGET)),list,hold) BENCH_WEB_WORKERS=1 \
			$(UV) run --frozen python bench/paths.py --only booking; \
	else \
		$(UV) run --frozen py-spy record --rate 200 -o .local/profile-$(TARGET).svg -- \
			python bench/paths.py --only $(TARGET); \
	fi

stop:
	@bash deploy/local/stack.sh down

clean:
	@bash deploy/local/stack.sh reset
