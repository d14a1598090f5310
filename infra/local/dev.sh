#!/usr/bin/env bash
# `make dev`: the whole stack on this machine. Installs the tooling, starts the emulator on
# 127.0.0.1:${ORDERGATE_EMULATOR_PORT:-4566}, creates the template's resources in it, and
# serves every function with `cargo lambda watch` on :9000 (reloading on code changes).
# Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
infra/local/setup.sh
endpoint="$(infra/local/emulator.sh start dev "${ORDERGATE_EMULATOR_PORT:-4566}")"
trap 'infra/local/emulator.sh stop dev' EXIT
envfile="$(infra/local/env.sh "$endpoint" ordergate-local)"
cat <<MSG

  emulator   $endpoint   (DynamoDB, SQS, S3, Secrets Manager)
  functions  http://127.0.0.1:9000/lambda-url/<function>/...

  try:  make send EVENT=events/olaclick/order_created.json
        make show PROVIDER=olaclick ORDER=PE-7222853393

MSG
PATH="$root/.venv/bin:$PATH" cargo lambda watch --env-file "$envfile" -P "${ORDERGATE_FUNCTIONS_PORT:-9000}"
