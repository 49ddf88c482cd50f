# Flotilla: the same targets for people, CI and the tests.
#   make demo | make test | make build | make plan ENV=staging | make deploy ENV=staging
SHELL := /bin/bash
ENV ?= local
SERVICE ?=
TO ?=
ARGS ?=
VENV := .venv
PY := $(VENV)/bin/python
FLOTILLA := $(VENV)/bin/flotilla
TF_DIR := infra/terraform
# scripts/tf.sh reads it; flotilla finds the same default itself (Project.tf_plugin_dir).
export FLOTILLA_TF_PLUGIN_DIR ?= $(wildcard /opt/tf-plugins)

.DEFAULT_GOAL := help
.PHONY: help setup base-image test test-fast lint tf-lint build lock plan deploy rollback unpin \
        status releases promote dev demo down logs audit bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## Install and start what is missing (Docker engine, registry, venv); idempotent
	@bash scripts/setup.sh

base-image: setup ## Make the offline Python base image (debootstrap + docker import)
	@bash scripts/base_image.sh

test: setup base-image ## Run the whole test suite (installs and starts what it needs)
	@$(VENV)/bin/pytest $(ARGS)

test-fast: ## Tests that need no Docker engine, terraform or emulator
	@$(VENV)/bin/pytest -m "not docker and not terraform" $(ARGS)

lint: ## ruff, mypy, hadolint, actionlint and tf-lint
	$(VENV)/bin/ruff check src tests services scripts bench
	$(VENV)/bin/ruff format --check src tests services scripts bench
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint docker/Dockerfile
	@if [ -d .github/workflows ]; then $(VENV)/bin/actionlint; fi
	@$(MAKE) --no-print-directory tf-lint

tf-lint: ## terraform fmt -check, validate, checkov (every root: ., ci/, examples/) and cloudsplaining (ci/)
	terraform -chdir=$(TF_DIR) fmt -check -recursive
	bash scripts/tf.sh validate
	.venv-tools/bin/checkov -d $(TF_DIR) --quiet --compact --framework terraform --skip-download
	$(VENV)/bin/python scripts/iam_check.py

build: ## Build every service image (or SERVICE=name); unchanged ones are skipped
	@$(FLOTILLA) build $(SERVICE) $(ARGS)

lock: ## Regenerate each service's requirements.lock
	@$(FLOTILLA) lock $(SERVICE)

plan: ## Plan ENV and write build/ENV/plan.md
	@$(FLOTILLA) plan --env $(ENV) $(ARGS)

deploy: ## Build, push, plan, apply and roll out ENV
	@$(FLOTILLA) deploy --env $(ENV) $(ARGS)

rollback: ## Re-apply SERVICE's previous release (TO=release|tag; ALL=1: every service) in ENV
	@$(FLOTILLA) rollback --env $(ENV) $(SERVICE) $(if $(TO),--to $(TO)) $(if $(ALL),--all) $(ARGS)

unpin: ## Let the next deploy ship SERVICE from the working tree again (after a rollback)
	@$(FLOTILLA) unpin --env $(ENV) $(SERVICE)

status: ## Table of what runs in ENV
	@$(FLOTILLA) status --env $(ENV)

# promote's target is the ENV given (command line or environment), prod when none is given:
# ENV's own default (local) never silently turns into prod.
PROMOTE_TO = $(if $(filter command line environment,$(origin ENV)),$(ENV),prod)
promote: ## Deploy to ENV (default prod) the digests that passed FROM (default staging)
	@$(FLOTILLA) promote --from $(or $(FROM),staging) --to $(PROMOTE_TO) $(ARGS)

releases: ## The release ledger of ENV
	@$(FLOTILLA) releases --env $(ENV) $(SERVICE)

logs: ## Logs of SERVICE in ENV=local
	@$(FLOTILLA) logs --env $(ENV) $(SERVICE)

dev: ## Every service in one process with reload (the modular monolith)
	@$(FLOTILLA) dev

demo: setup base-image ## Deploy the example services locally and print their URLs
	@$(FLOTILLA) local up
	@$(FLOTILLA) deploy --env local --yes
	@$(FLOTILLA) local urls

down: ## Stop everything ENV=local started
	@$(FLOTILLA) local down

audit: ## Licences, vulnerabilities and stale packages per service
	@$(FLOTILLA) audit

bench: setup base-image ## Run the benchmarks; results go to bench/results/
	@$(PY) -m bench

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

# A fresh checkout has no venv yet: the targets that run flotilla set it up first.
build lock plan deploy rollback status promote releases logs dev down audit: | $(FLOTILLA)
$(FLOTILLA):
	@bash scripts/setup.sh
