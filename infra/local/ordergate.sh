#!/usr/bin/env bash
# The `ordergate` CLI against the stack `make dev` deployed (ordergate-local, or
# ORDERGATE_STACK): the local AWS's endpoint with its dummy credentials, and --stack, whose
# outputs name the table, queues, secrets and webhook URLs as a deployed stack's do.
# Builds the CLI first if needed (the first build takes minutes).
#   infra/local/ordergate.sh order olaclick PE-7222853393 --location 777
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export ORDERGATE_STACK="${ORDERGATE_STACK:-ordergate-local}"
envfile="$root/.local/$ORDERGATE_STACK.env"
[[ -f "$envfile" ]] || { echo "no local stack $ORDERGATE_STACK running: start it with make dev" >&2; exit 1; }
AWS_ENDPOINT_URL="$(sed -n 's/^ENDPOINT=//p' "$envfile")"
export AWS_ENDPOINT_URL AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
cd "$root"
exec cargo run --quiet --bin ordergate -- "$@"
