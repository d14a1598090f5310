# ordergate: the two commands are `make dev` (run the stack locally) and `make test`.
.PHONY: dev test bench send show build deploy stop

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
build:
	infra/local/setup.sh
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_BETA_RUST_CARGO_LAMBDA=1 .venv/bin/sam build --config-file infra/samconfig.toml

deploy: build
	.venv/bin/sam deploy --config-file infra/samconfig.toml --guided

# Stop an emulator left running by an interrupted `make dev`.
stop:
	infra/local/emulator.sh stop dev
