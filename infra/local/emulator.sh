#!/usr/bin/env bash
# Starts or stops the local AWS emulator (moto, see emulator.py: DynamoDB, SQS, S3, Secrets Manager)
# on 127.0.0.1. Usage: emulator.sh start NAME [PORT] | stop NAME | url NAME
# NAME keeps several instances apart (test, bench); PORT 0 or absent picks a free port.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="$root/.local"
mkdir -p "$state"
cmd="${1:?start|stop|url}"
name="${2:?instance name}"
pidfile="$state/emulator-$name.pid"
urlfile="$state/emulator-$name.url"

case "$cmd" in
  start)
    "$0" stop "$name"
    port="${3:-0}"
    if [[ "$port" == 0 ]]; then
      port="$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    fi
    "$root/.venv/bin/python" "$root/infra/local/emulator.py" "$port" > "$state/emulator-$name.log" 2>&1 &
    echo $! > "$pidfile"
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
      if "$root/.venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/moto-api/" > /dev/null 2>&1; then
        echo "$url" > "$urlfile"
        echo "$url"
        exit 0
      fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 0.1
    done
    echo "emulator did not start; see $state/emulator-$name.log" >&2
    cat "$state/emulator-$name.log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -f "$pidfile" ]]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile" "$urlfile"
    fi
    ;;
  url)
    cat "$urlfile"
    ;;
  *)
    echo "usage: $0 start|stop|url NAME [PORT]" >&2
    exit 2
    ;;
esac
