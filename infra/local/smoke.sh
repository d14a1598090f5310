#!/usr/bin/env bash
# The local stack as a user runs it: emulator + the local gateway (infra/local/gateway)
# serving the template's routes in front of several instances of each real function
# binary; the events/ samples signed and sent over HTTP to the production paths by the
# `ordergate` CLI (`--stack ordergate-smoke`: URLs, secrets and table from the local
# stack's outputs, as from a deployed one's) and through Lambda's Invoke API, and the
# stored order read back with the CLI. Ports are picked free; everything is stopped at
# the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"

endpoint="$(infra/local/emulator.sh start smoke 0)"
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cleanup() {
  infra/local/gateway.sh stop ordergate-smoke
  infra/local/emulator.sh stop smoke
}
trap cleanup EXIT
echo "smoke: building and starting the local gateway on :$port"
url="$(infra/local/gateway.sh start "$endpoint" ordergate-smoke "$port")"
export ORDERGATE_URL="$url"  # invoke.py: the gateway's Invoke API
log="$root/.local/ordergate-smoke-gateway.log"

passed=0
failed=0
check() { # check NAME COMMAND... : the command must succeed
  local name="$1"; shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1)); echo "  ok    $name"
    if [[ -n "${SHOW:-}" ]]; then echo "$out" | sed 's/^/        /'; fi
  else
    failed=$((failed + 1)); echo "  FAIL  $name"; echo "$out" | sed 's/^/        /'
  fi
}
ordergate() {
  AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    target/debug/ordergate --stack ordergate-smoke --json "$@"
}
send() { ordergate send "$@"; }  # send PLATFORM FILE [--secret-json JSON]
show() { ordergate order "$@"; }  # show PLATFORM ORDER_ID
invoke() { "$py" infra/local/invoke.py "$@"; }
expect() { # expect JSON_FIELD VALUE COMMAND... : the command prints JSON whose field equals VALUE
  local field="$1" want="$2"; shift 2
  local got
  got="$("$@" | "$py" -c 'import json,sys; d=json.load(sys.stdin); v=d
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v if isinstance(v, str) else json.dumps(v))' "$field")"
  [[ "$got" == "$want" ]] || { echo "$field: expected $want, got $got"; return 1; }
}

check "order_created is stored (HTTP)" expect status 200 send olaclick events/olaclick/order_created.json
check "the same delivery again is a duplicate" expect duplicate true send olaclick events/olaclick/order_created.json
check "order_updated through the Invoke API" expect statusCode 200 \
  invoke olaclick events/olaclick/order_updated.json
check "a wrong webhook token is refused (401)" expect status 401 send olaclick events/olaclick/order_deleted.json \
  --secret-json '{"auth_header_value": "wrong"}'
raw() { # raw METHOD PATH BODY_FILE: prints the answer as {"status": ..., "body": ...}
  "$py" -c 'import json, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1] + sys.argv[3], data=open(sys.argv[4], "rb").read() or None, method=sys.argv[2],
    headers={"content-type": "application/json", "x-ordergate-token": "local-olaclick-token"})
try:
    r = urllib.request.urlopen(req, timeout=60); status, body = r.status, r.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
print(json.dumps({"status": status, "body": json.loads(body)}))' "$url" "$@"
}
binary="$(mktemp -t ordergate-smoke-bin.XXXXXX)"
printf '\xff\xfe{"event_type": "order_created"}' > "$binary"
check "a body that is not UTF-8 reaches the function (400 invalid_utf8, not a 500)" \
  expect body.error invalid_utf8 raw POST /webhooks/olaclick "$binary"
: > "$binary"
check "a route the API does not have is 404, as on API Gateway" expect status 404 raw GET /webhooks/olaclick "$binary"
rm -f "$binary"
check "the order shows the newest state" expect state.status accepted \
  show olaclick PE-7222853393
check "the trail has both events" expect trail.1.event_type order_updated \
  show olaclick PE-7222853393
check "deliverect new order is stored" expect status 200 send deliverect events/deliverect/new_order.json
check "deliverect cancel through the Invoke API" expect statusCode 200 \
  invoke deliverect events/deliverect/cancel.json
check "a deliverect signature with another secret is refused (401)" expect status 401 send deliverect \
  events/deliverect/accepted.json --secret-json '{"hmac_secret": "not-the-partner-secret"}'
check "the deliverect order is cancelled" expect state.status cancelled \
  show deliverect 6438f1a2c9e77d0012ab34cd
check "ordatic order-accepted is stored" expect status 200 send ordatic events/ordatic/order-accepted.json
check "a 3 MB ordatic proof of delivery is stored" expect status 200 \
  send ordatic events/ordatic/rider-proof-delivery-large.json
check "ordatic order-served through the Invoke API" expect statusCode 200 \
  invoke ordatic events/ordatic/order-served.json
check "the ordatic order is completed" expect state.status completed \
  show ordatic ord-8d41a7e2-1c3b --location st-5f2b9c
check "oolio order (Svix-signed by ordergate send) is stored" expect status 200 \
  send oolio events/oolio/order_created.json
check "oolio retry of the same svix message is a duplicate" expect duplicate true \
  send oolio events/oolio/order_created.json
resigned="$(mktemp -t ordergate-smoke-oolio.XXXXXX)"
"$py" infra/local/sign.py events/oolio/order_completed.json > "$resigned"
check "oolio order_completed through the Invoke API" expect statusCode 200 \
  invoke oolio "$resigned"
rm -f "$resigned"
check "the oolio order is completed" expect state.status completed \
  show oolio 91b969ea-2e4d-46ac-b727-3a7528e5306b
outbox="$(mktemp -t ordergate-smoke-outbox.XXXXXX)"
"$py" infra/local/stream_event.py --endpoint "$endpoint" --table ordergate-smoke-OrdersTable --mapping AckRelayStream > "$outbox"
check "the outbox relays the stored events' jobs from the table's stream (Invoke API)" expect batchItemFailures "[]" \
  invoke publisher "$outbox"
rm -f "$outbox"
batch="$(mktemp -t ordergate-smoke-batch.XXXXXX)"
ordergate event olaclick 7573920b-5558-4455-ae73-d8628aba6609 --sqs-batch > "$batch"
check "the ack worker settles a stored job (Invoke API)" expect batchItemFailures "[]" \
  invoke ack-worker "$batch"
rm -f "$batch"
check "the order's trail shows the acknowledgement" expect trail.0.ack.status acked \
  show olaclick PE-7222853393
stream="$(mktemp -t ordergate-smoke-stream.XXXXXX)"
"$py" infra/local/stream_event.py --endpoint "$endpoint" --table ordergate-smoke-OrdersTable > "$stream"
check "the publisher sends the order changes from the table's stream (Invoke API)" expect batchItemFailures "[]" \
  invoke publisher "$stream"
rm -f "$stream"

echo "smoke: 1,000 concurrent deliveries over the four platforms, then 200 retries"
SHOW=1 check "a burst is stored once per event, all 200, and the gateway still answers" \
  "$py" infra/local/load.py --url "$url" --endpoint "$endpoint" --table ordergate-smoke-OrdersTable --count 1000

if (( failed > 0 )); then
  echo "--- gateway log"; tail -50 "$log"
fi
echo "smoke: $passed passed, $failed failed"
(( failed == 0 ))
