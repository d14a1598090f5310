#!/usr/bin/env bash
# Writes the environment of the local functions for an emulator at $1 whose resources were
# created with prefix $2. Prints the file's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
endpoint="$1"
prefix="$2"
out="$root/.local/$prefix.env"
resources="$("$root/.venv/bin/python" "$root/infra/local/bootstrap.py" --endpoint "$endpoint" --prefix "$prefix")"
get() { "$root/.venv/bin/python" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$resources" "$1"; }
cat > "$out" <<ENV
AWS_ENDPOINT_URL=$endpoint
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
RUST_LOG=info
TABLE_NAME=$(get OrdersTable)
QUEUE_URL=$(get AckQueue)
BLOB_BUCKET=$(get BlobBucket)
OLACLICK_SECRET_ID=$(get OlaClickSecret)
OLACLICK_MERCHANT_IDS=777
OLACLICK_ACK_MODE=sync
OLACLICK_TIMEZONE=America/Lima
DELIVERECT_SECRET_ID=$(get DeliverectSecret)
DELIVERECT_CURRENCY=EUR
ORDATIC_SECRET_ID=$(get OrdaticSecret)
ORDATIC_CURRENCY=EUR
OOLIO_SECRET_ID=$(get OolioSecret)
OOLIO_CURRENCY=AUD
EVENT_BUS_NAME=$(get OrderEventsBus)
ENV
echo "$out"
