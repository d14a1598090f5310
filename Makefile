# ordergate: the two commands are `make dev` (run the stack locally) and `make test`.
.PHONY: dev test bench send show build deploy deploy-guided logs delete stop

# Emulated AWS + every function behind the local gateway on :9000 (/webhooks/<platform>),
# several instances each, rebuilt on code changes. Ctrl-C stops it.
dev:
	infra/local/dev.sh

# Everything CI runs: fmt, clippy, template checks (lint, security, alarms), unit + emulator
# tests, the IAM check, and the local smoke + load test.
test:
	infra/local/test.sh

# Benchmarks: hot path, cold start, memory, binary sizes (prints tables; README has results).
bench:
	infra/local/bench.sh

# Send a sample event to the running dev stack: make send EVENT=events/olaclick/order_created.json
send:
	.venv/bin/python infra/local/send.py $(EVENT)

# Show a stored order and its trail: make show PROVIDER=olaclick ORDER=PE-7222853393
show:
	.venv/bin/python infra/local/show.py $(PROVIDER) $(ORDER)

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
