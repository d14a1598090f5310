#!/usr/bin/env bash
# `make dev`: the whole stack on this machine. Installs the tooling, starts the emulator on
# 127.0.0.1:${ORDERGATE_EMULATOR_PORT:-4566}, creates the template's resources in it,
# builds every function, and serves them with the local gateway on
# ${ORDERGATE_FUNCTIONS_PORT:-9000}: the template's routes (/webhooks/<platform>) in front of
# several instances of each function, rebuilt and reloaded when the code changes.
# Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
infra/local/setup.sh
port="${ORDERGATE_FUNCTIONS_PORT:-9000}"
echo "==> emulator (DynamoDB, SQS, S3, Secrets Manager, EventBridge)"
endpoint="$(infra/local/emulator.sh start dev "${ORDERGATE_EMULATOR_PORT:-4566}")"
trap 'infra/local/emulator.sh stop dev' EXIT
echo "==> the template's resources, and the gateway's configuration"
config="$(infra/local/gateway.sh config "$endpoint" ordergate-local "$port")"
echo "==> cargo build --bins (the first build takes several minutes)"
cargo build --bins
cat <<MSG

  emulator   $endpoint
  webhooks   http://127.0.0.1:$port/webhooks/<platform>   (as API Gateway serves them)
  invoke     http://127.0.0.1:$port/2015-03-31/functions/<function>/invocations

  stack      ordergate-local   (its outputs name the local resources, as a deployed stack's do)

  try:  make send EVENT=events/olaclick/order_created.json
        make show PROVIDER=olaclick ORDER=PE-7222853393
        infra/local/ordergate.sh orders list --platform olaclick --location 777

MSG
target/debug/ordergate-local --config "$config" --port "$port" --watch
