#!/usr/bin/env bash
# The local stack's front half (infra/local/gateway): API Gateway's routes on one port in
# front of several instances of each function's binary.
#   gateway.sh config ENDPOINT PREFIX PORT   creates the resources and the stack PREFIX naming
#                                            them (webhook URLs on PORT), writes
#                                            .local/PREFIX-gateway.json, prints its path
#   gateway.sh start ENDPOINT PREFIX PORT    builds, starts it in the background, waits for it
#   gateway.sh stop PREFIX
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="$root/.venv/bin/python"
state="$root/.local"
mkdir -p "$state"

config() { # ENDPOINT PREFIX PORT
  local resources out="$state/$2-gateway.json"
  resources="$("$py" "$root/infra/local/bootstrap.py" --endpoint "$1" --prefix "$2" \
    --webhook-base "http://127.0.0.1:$3")"
  "$py" "$root/infra/local/local_config.py" --resources "$resources" --endpoint "$1" > "$out"
  echo "$out"
}

case "${1:?config|start|stop}" in
  config)
    config "$2" "$3" "$4"
    ;;
  start)
    endpoint="$2" prefix="$3" port="$4"
    cfg="$(config "$endpoint" "$prefix" "$port")"
    echo "==> cargo build --bins (the functions and the gateway)" >&2
    (cd "$root" && cargo build --bins >&2)
    log="$state/$prefix-gateway.log"
    "$root/target/debug/ordergate-local" --config "$cfg" --port "$port" > "$log" 2>&1 &
    echo $! > "$state/$prefix-gateway.pid"
    for _ in $(seq 1 100); do
      if "$py" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      kill -0 "$(cat "$state/$prefix-gateway.pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "the gateway did not start; see $log" >&2
    cat "$log" >&2
    exit 1
    ;;
  stop)
    pidfile="$state/$2-gateway.pid"
    if [[ -f "$pidfile" ]]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    ;;
esac
