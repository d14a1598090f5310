#!/usr/bin/env bash
# The local stack as a user runs it: emulator + the local gateway (infra/local/gateway)
# serving the template's routes in front of several instances of each real function
# binary; the events/ samples sent over HTTP to the production paths and through Lambda's
# Invoke API, and the stored order read back. Ports are picked free; everything is
# stopped at the end.
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
export ORDERGATE_URL="$url"
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
send() { "$py" infra/local/send.py "${@:2}"; }  # send PLATFORM FILE: to the route in the file
invoke() { "$py" infra/local/invoke.py "$@"; }
expect() { # expect JSON_FIELD VALUE COMMAND... : the command prints JSON whose field equals VALUE
  local field="$1" want="$2"; shift 2
  local got
  got="$("$@" | "$py" -c 'import json,sys; d=json.load(sys.stdin); v=d
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$field")"
  [[ "$got" == "$want" ]] || { echo "$field: expected $want, got $got"; return 1; }
}
fails() { ! "$@"; }

check "order_created is stored (HTTP)" expect status 200 send olaclick events/olaclick/order_created.json
check "the same delivery again is a duplicate" expect duplicate true send olaclick events/olaclick/order_created.json
check "order_updated through the Invoke API" expect statusCode 200 \
  invoke olaclick events/olaclick/order_updated.json
check "a wrong webhook header is refused" fails send olaclick events/olaclick/order_deleted.json --header x-ordergate-token=wrong
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
  "$py" infra/local/show.py olaclick PE-7222853393 --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "the trail has both events" expect trail.1.event_type order_updated \
  "$py" infra/local/show.py olaclick PE-7222853393 --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "deliverect new order is stored" expect status 200 send deliverect events/deliverect/new_order.json
check "deliverect cancel through the Invoke API" expect statusCode 200 \
  invoke deliverect events/deliverect/cancel.json
check "a tampered deliverect signature is refused" fails send deliverect events/deliverect/accepted.json \
  --header x-server-authorization-hmac-sha256=00
check "the deliverect order is cancelled" expect state.status cancelled \
  "$py" infra/local/show.py deliverect 6438f1a2c9e77d0012ab34cd --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "ordatic order-accepted is stored" expect status 200 send ordatic events/ordatic/order-accepted.json
check "a 3 MB ordatic proof of delivery is stored" expect status 200 \
  send ordatic events/ordatic/rider-proof-delivery-large.json
check "ordatic order-served through the Invoke API" expect statusCode 200 \
  invoke ordatic events/ordatic/order-served.json
check "the ordatic order is completed" expect state.status completed \
  "$py" infra/local/show.py ordatic ord-8d41a7e2-1c3b --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "oolio order (re-signed with the svix library) is stored" expect status 200 \
  send oolio events/oolio/order_created.json
check "oolio retry of the same svix message is a duplicate" expect duplicate true \
  send oolio events/oolio/order_created.json
resigned="$(mktemp -t ordergate-smoke-oolio.XXXXXX)"
"$py" infra/local/sign.py events/oolio/order_completed.json > "$resigned"
check "oolio order_completed through the Invoke API" expect statusCode 200 \
  invoke oolio "$resigned"
rm -f "$resigned"
check "the oolio order is completed" expect state.status completed \
  "$py" infra/local/show.py oolio 91b969ea-2e4d-46ac-b727-3a7528e5306b --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
batch="$(mktemp -t ordergate-smoke-batch.XXXXXX)"
"$py" infra/local/sqs_event.py olaclick 7573920b-5558-4455-ae73-d8628aba6609 \
  --endpoint "$endpoint" --table ordergate-smoke-OrdersTable > "$batch"
check "the ack worker settles a stored job (Invoke API)" expect batchItemFailures "[]" \
  invoke ack-worker "$batch"
rm -f "$batch"
check "the order's trail shows the acknowledgement" expect trail.0.ack_status acked \
  "$py" infra/local/show.py olaclick PE-7222853393 --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
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
