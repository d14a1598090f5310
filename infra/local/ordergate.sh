#!/usr/bin/env bash
# The `ordergate` CLI against the local stack: the emulator `make dev` started (or
# ORDERGATE_EMULATOR's) with its dummy credentials, and --stack ordergate-local (or
# ORDERGATE_STACK), whose outputs name the table, queues, secrets and webhook URLs just as
# a deployed stack's do. Builds the CLI first if needed (the first build takes minutes).
#   infra/local/ordergate.sh order olaclick PE-7222853393
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
urlfile="$root/.local/emulator-${ORDERGATE_EMULATOR:-dev}.url"
[[ -f "$urlfile" ]] || { echo "no local stack running: start it with make dev" >&2; exit 1; }
export AWS_ENDPOINT_URL="$(cat "$urlfile")" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export ORDERGATE_STACK="${ORDERGATE_STACK:-ordergate-local}"
cd "$root"
exec cargo run --bin ordergate -- "$@"
