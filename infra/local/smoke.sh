#!/usr/bin/env bash
# The local stack as a user runs it: emulator + `cargo lambda watch` serving the real
# function binaries, the events/ samples sent over HTTP and with `cargo lambda invoke`, and
# the stored order read back. Ports are picked free; everything is stopped at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
state="$root/.local"
mkdir -p "$state"

endpoint="$(infra/local/emulator.sh start smoke 0)"
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
envfile="$(infra/local/env.sh "$endpoint" ordergate-smoke)"
# Logs go outside the workspace: cargo lambda watch reloads on file changes under it.
log="$(mktemp -t ordergate-smoke-watch.XXXXXX)"
cargo lambda watch --ignore-changes --env-file "$envfile" -A 127.0.0.1 -P "$port" > "$log" 2>&1 &
watch_pid=$!
cleanup() {
  kill -INT "$watch_pid" 2>/dev/null || true
  wait "$watch_pid" 2>/dev/null || true
  infra/local/emulator.sh stop smoke
}
trap cleanup EXIT

passed=0
failed=0
check() { # check NAME COMMAND... : the command must succeed
  local name="$1"; shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1)); echo "  ok    $name"
  else
    failed=$((failed + 1)); echo "  FAIL  $name"; echo "$out" | sed 's/^/        /'
  fi
}
send() { "$py" infra/local/send.py --url "http://127.0.0.1:$port/lambda-url/$1/webhooks/$1" "${@:2}"; }
expect() { # expect JSON_FIELD VALUE COMMAND... : the command prints JSON whose field equals VALUE
  local field="$1" want="$2"; shift 2
  local got
  got="$("$@" | "$py" -c 'import json,sys; d=json.load(sys.stdin); v=d
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$field")"
  [[ "$got" == "$want" ]] || { echo "$field: expected $want, got $got"; return 1; }
}
fails() { ! "$@"; }

echo "smoke: building and starting the functions (cargo lambda watch on :$port)"
for _ in $(seq 1 600); do
  grep -q "starting Runtime server" "$log" && break
  sleep 0.5
done
check "order_created is stored (HTTP)" expect status 200 send olaclick events/olaclick/order_created.json
check "the same delivery again is a duplicate" expect duplicate true send olaclick events/olaclick/order_created.json
check "order_updated via cargo lambda invoke" expect statusCode 200 \
  cargo lambda invoke olaclick -A 127.0.0.1 -P "$port" --data-file events/olaclick/order_updated.json
check "a wrong webhook header is refused" fails send olaclick events/olaclick/order_deleted.json --header x-ordergate-token=wrong
check "the order shows the newest state" expect state.status accepted \
  "$py" infra/local/show.py olaclick PE-7222853393 --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "the trail has both events" expect trail.1.event_type order_updated \
  "$py" infra/local/show.py olaclick PE-7222853393 --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "deliverect new order is stored" expect status 200 send deliverect events/deliverect/new_order.json
check "deliverect cancel via cargo lambda invoke" expect statusCode 200 \
  cargo lambda invoke deliverect -A 127.0.0.1 -P "$port" --data-file events/deliverect/cancel.json
check "a tampered deliverect signature is refused" fails send deliverect events/deliverect/accepted.json \
  --header x-server-authorization-hmac-sha256=00
check "the deliverect order is cancelled" expect state.status cancelled \
  "$py" infra/local/show.py deliverect 6438f1a2c9e77d0012ab34cd --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "ordatic order-accepted is stored" expect status 200 send ordatic events/ordatic/order-accepted.json
check "a 3 MB ordatic proof of delivery is stored" expect status 200 \
  send ordatic events/ordatic/rider-proof-delivery-large.json
check "ordatic order-served via cargo lambda invoke" expect statusCode 200 \
  cargo lambda invoke ordatic -A 127.0.0.1 -P "$port" --data-file events/ordatic/order-served.json
check "the ordatic order is completed" expect state.status completed \
  "$py" infra/local/show.py ordatic ord-8d41a7e2-1c3b --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
check "oolio order (re-signed with the svix library) is stored" expect status 200 \
  send oolio events/oolio/order_created.json
check "oolio retry of the same svix message is a duplicate" expect duplicate true \
  send oolio events/oolio/order_created.json
resigned="$(mktemp -t ordergate-smoke-oolio.XXXXXX)"
"$py" infra/local/sign.py events/oolio/order_completed.json > "$resigned"
check "oolio order_completed via cargo lambda invoke" expect statusCode 200 \
  cargo lambda invoke oolio -A 127.0.0.1 -P "$port" --data-file "$resigned"
rm -f "$resigned"
check "the oolio order is completed" expect state.status completed \
  "$py" infra/local/show.py oolio 91b969ea-2e4d-46ac-b727-3a7528e5306b --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
batch="$(mktemp -t ordergate-smoke-batch.XXXXXX)"
"$py" infra/local/sqs_event.py olaclick 7573920b-5558-4455-ae73-d8628aba6609 \
  --endpoint "$endpoint" --table ordergate-smoke-OrdersTable > "$batch"
check "the ack worker settles a stored job (cargo lambda invoke)" expect batchItemFailures "[]" \
  cargo lambda invoke ack-worker -A 127.0.0.1 -P "$port" --data-file "$batch"
rm -f "$batch"
check "the order's trail shows the acknowledgement" expect trail.0.ack_status acked \
  "$py" infra/local/show.py olaclick PE-7222853393 --endpoint "$endpoint" --table ordergate-smoke-OrdersTable
stream="$(mktemp -t ordergate-smoke-stream.XXXXXX)"
"$py" infra/local/stream_event.py --endpoint "$endpoint" --table ordergate-smoke-OrdersTable > "$stream"
check "the publisher sends the order changes from the table's stream (cargo lambda invoke)" expect batchItemFailures "[]" \
  cargo lambda invoke publisher -A 127.0.0.1 -P "$port" --data-file "$stream"
rm -f "$stream"

if (( failed > 0 )); then
  echo "--- cargo lambda watch log"; tail -50 "$log"
fi
rm -f "$log"
echo "smoke: $passed passed, $failed failed"
(( failed == 0 ))
