#!/usr/bin/env bash
# One function run in Docker on one sample, as Lambda runs it (`sam local invoke`), against
# the stack `make dev` deployed: its resources, secrets and fake platform APIs.
#   infra/local/invoke.sh OolioFunction events/oolio/order_created.json
# Needs Docker and a `make build` (sam local invoke runs .aws-sam/build's bootstrap). Oolio's
# samples are re-signed first (infra/local/sign.py): Svix signatures are good for 5 minutes,
# and the receiver refuses older ones; no setting turns that off.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
function="${1:?FUNCTION, e.g. OlaClickFunction}" event="${2:?EVENT, e.g. events/olaclick/order_created.json}"
name="${ORDERGATE_STACK:-ordergate-local}"
envfile="$root/.local/$name.env"
[[ -f "$envfile" ]] || { echo "no local stack $name running: start it with make dev" >&2; exit 1; }
port="$(sed -n 's/^ENDPOINT=.*:\([0-9]*\)$/\1/p' "$envfile")"
if [[ "$event" == */oolio/* ]]; then
  "$root/.venv/bin/python" "$root/infra/local/sign.py" "$event" > "$root/.local/invoke-event.json"
  event="$root/.local/invoke-event.json"
fi
cd "$root"
exec .venv/bin/sam local invoke "$function" -e "$event" --env-vars ".local/$name-sam-env.json" \
  --parameter-overrides "LocalEndpointUrl=http://host.docker.internal:$port" \
  --add-host host.docker.internal:host-gateway
