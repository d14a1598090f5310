#!/usr/bin/env bash
# The deployed stack, locally: ministack (the local AWS, ./.venv-stack) with template.yaml
# deployed into it through CloudFormation (infra/local/stack.py), and the platforms' APIs
# faked (infra/local/fake_platforms.py) for the ack worker to call back.
#   stack.sh start NAME [PORT]   starts both, builds the functions, deploys stack NAME and
#                                writes .local/NAME.env (the endpoint, the fake APIs' URL,
#                                the stack's name); PORT 0 or absent picks a free one
#   stack.sh deploy NAME         builds and deploys again (a code change)
#   stack.sh received NAME [TEXT]   what the fake platform APIs received (mentioning TEXT)
#   stack.sh events NAME         the events the stack's rule delivered to OrderEventsQueue
#   stack.sh command NAME FILE   a restaurant's command (an EventBridge event file) on the stack's bus
#   stack.sh stop NAME
# ORDERGATE_CARGO_TARGETS: cargo build's targets (default --bins).
# ORDERGATE_ARTIFACTS="Function=DIR ..." deploys DIR/bootstrap (a `sam build` output) as
# that function's code instead of the cargo build's binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="$root/.local"
mkdir -p "$state"
py="$root/.venv-stack/bin/python"
# The Deliverect location whose new orders wait for the restaurant's decision locally
# (manual acceptance; events/deliverect/new_order_manual.json); the others are accepted.
MANUAL_LOCATION=61a0b2c3d4e5f60718290c0d

free_port() {
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # URL PIDFILE LOG
  for _ in $(seq 1 300); do
    if "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" > /dev/null 2>&1; then
      return 0
    fi
    kill -0 "$(cat "$2")" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 did not answer; see $3" >&2
  tail -30 "$3" >&2 || true
  exit 1
}

start_background() { # NAME WHAT COMMAND...: runs COMMAND with its output in .local/NAME-WHAT.log
  # in a process group of its own, so that stopping it stops the function processes too
  local name="$1" what="$2"; shift 2
  setsid "$@" > "$state/$name-$what.log" 2>&1 < /dev/null &
  echo $! > "$state/$name-$what.pid"
}

# ENDPOINT, FAKE_PLATFORMS and STACK of a started stack.
load_env() { # NAME
  # shellcheck disable=SC1090
  source "$state/$1.env"
}

# The functions as the stack runs them: this machine's architecture, built by cargo.
arch() { [[ "$(uname -m)" == aarch64 ]] && echo arm64 || echo x86_64; }

deploy() { # NAME
  local name="$1" artifacts=()
  for a in ${ORDERGATE_ARTIFACTS:-}; do artifacts+=(--artifact "$a"); done
  load_env "$name"
  # make test sets ORDERGATE_CARGO_TARGETS="--bins --tests": the features `cargo test`
  # unified, so its build is reused (--bins alone resolves other features of the AWS SDK).
  local targets="${ORDERGATE_CARGO_TARGETS:---bins}"
  echo "==> cargo build --workspace $targets (the first build takes several minutes)" >&2
  # shellcheck disable=SC2086
  (cd "$root" && cargo build --workspace $targets >&2)
  echo "==> deploying template.yaml as stack $name (CloudFormation, SAM transform)" >&2
  "$py" "$root/infra/local/stack.py" deploy --endpoint "$ENDPOINT" --name "$name" \
    --binaries "$root/target/debug" "${artifacts[@]}" --secrets "$root/infra/local/secrets.json" \
    --parameter "LocalEndpointUrl=$ENDPOINT" --parameter "Architecture=$(arch)" \
    --parameter OlaClickMerchantIds=777 --parameter OlaClickAckMode=async \
    --parameter "OlaClickAckUrl=$FAKE_PLATFORMS/olaclick/ack" \
    --parameter "DeliverectApiUrl=$FAKE_PLATFORMS/deliverect" \
    --parameter "OrdaticApiUrl=$FAKE_PLATFORMS/ordatic" \
    --parameter "OrdaticStatusPath=/v2/stores/{storeId}/orders/{orderId}/status" \
    --parameter "DeliverectAcceptModeLocations=$MANUAL_LOCATION=manual" \
    --parameter OrderEventsQueueEnabled=true > /dev/null
}

case "${1:?start|deploy|stop}" in
  start)
    name="${2:?stack name}" port="${3:-0}"
    "$0" stop "$name"
    [[ "$port" != 0 ]] || port="$(free_port)"
    fake_port="$(free_port)"
    # LAMBDA_EXECUTOR=local: each function's bootstrap runs as a process here (no Docker).
    # AUTH=true: every AWS call a function makes is evaluated against its execution role as
    # the template defines it (the CLI and the tests use the account's root credentials).
    # BIND_HOST: this machine only (ministack listens on every interface by default).
    start_background "$name" aws env GATEWAY_PORT="$port" BIND_HOST=127.0.0.1 LAMBDA_EXECUTOR=local AUTH=true \
      "$root/.venv-stack/bin/ministack"
    start_background "$name" platforms "$py" -u "$root/infra/local/fake_platforms.py" --port "$fake_port"
    wait_for "http://127.0.0.1:$port/_ministack/health" "$state/$name-aws.pid" "$state/$name-aws.log"
    wait_for "http://127.0.0.1:$fake_port/_received" "$state/$name-platforms.pid" "$state/$name-platforms.log"
    printf 'ENDPOINT=%s\nFAKE_PLATFORMS=%s\nSTACK=%s\n' \
      "http://127.0.0.1:$port" "http://127.0.0.1:$fake_port" "$name" > "$state/$name.env"
    deploy "$name"
    cat "$state/$name.env"
    ;;
  deploy)
    deploy "${2:?stack name}"
    ;;
  received)
    load_env "${2:?stack name}"
    "$py" "$root/infra/local/stack.py" received --platforms "$FAKE_PLATFORMS" "${3:-}"
    ;;
  events)
    load_env "${2:?stack name}"
    "$py" "$root/infra/local/stack.py" events --endpoint "$ENDPOINT" --name "$2"
    ;;
  command)
    load_env "${2:?stack name}"
    "$py" "$root/infra/local/stack.py" put-event --endpoint "$ENDPOINT" --name "$2" "${3:?event file}"
    ;;
  stop)
    for what in aws platforms; do
      pidfile="$state/${2:?stack name}-$what.pid"
      if [[ -f "$pidfile" ]]; then
        kill -- "-$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
      fi
    done
    rm -f "$state/$2.env"
    ;;
esac
