#!/usr/bin/env bash
# `make dev`: template.yaml deployed on this machine. Installs the tooling, starts the local
# AWS (ministack) on 127.0.0.1:${ORDERGATE_EMULATOR_PORT:-4566} and the fake platform APIs,
# builds every function and deploys the template into it as stack ordergate-local through
# CloudFormation (infra/local/stack.sh). Then prints what the fake platforms receive, and
# redeploys when the code changes. Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
infra/local/setup.sh
name=ordergate-local
trap 'infra/local/stack.sh stop "$name"' EXIT
started="$(date +%s)"
infra/local/stack.sh start "$name" "${ORDERGATE_EMULATOR_PORT:-4566}" > /dev/null
# shellcheck disable=SC1090
source ".local/$name.env"
cat <<MSG

  stack      $name, deployed from template.yaml in $(( $(date +%s) - started )) s
             outputs: .local/$name-outputs.json (infra/local/ordergate.sh reads them as --stack does)
  local AWS  $ENDPOINT   (ministack; log .local/$name-aws.log)
  platforms  $FAKE_PLATFORMS   (fake OlaClick, Deliverect, Ordatic APIs; what they receive is printed below)

  try:  make send EVENT=events/deliverect/new_order.json
        make show PROVIDER=deliverect ORDER=6438f1a2c9e77d0012ab34cd
        make events          (the order changes the stack's rule delivered to OrderEventsQueue)

  A change under functions/ or shared/ is rebuilt and redeployed to the running stack
  (about 25 s).

MSG
tail -n +2 -f ".local/$name-platforms.log" &
tailer=$!
trap 'kill $tailer 2>/dev/null; infra/local/stack.sh stop "$name"' EXIT
# A source file newer than the last deploy triggers a rebuild and a redeploy.
fingerprint() { find functions shared Cargo.toml Cargo.lock template.yaml -type f -newer "$1" -print -quit; }
stamp=".local/$name.deployed"
touch "$stamp"
while sleep 2; do
  if [[ -n "$(fingerprint "$stamp")" ]]; then
    touch "$stamp"
    started="$(date +%s)"
    echo "==> code changed: rebuilding and redeploying"
    if infra/local/stack.sh deploy "$name" > /dev/null; then
      echo "==> redeployed in $(( $(date +%s) - started )) s"
    else
      echo "==> the redeploy failed (above); the stack runs the previous build"
    fi
  fi
done
