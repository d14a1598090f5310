#!/usr/bin/env bash
# Writes the environment of the local functions for an emulator at $1 whose resources were
# created with prefix $2, and prints the file's path. Every variable comes from
# template.yaml (function_env.py: Globals + each function's own, parameters at their
# defaults, names resolved to the local resources), merged into one file for
# `cargo lambda watch`; only the emulator's endpoint and dummy credentials are added.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
endpoint="$1"
prefix="$2"
out="$root/.local/$prefix.env"
py="$root/.venv/bin/python"
resources="$("$py" "$root/infra/local/bootstrap.py" --endpoint "$endpoint" --prefix "$prefix")"
{
  "$py" "$root/infra/local/function_env.py" --resources "$resources" | "$py" -c '
import json, sys
merged = {}
for env in json.load(sys.stdin).values():
    merged.update(env)
for k, v in sorted(merged.items()):
    print(f"{k}={v}")'
  cat <<ENV
AWS_ENDPOINT_URL=$endpoint
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
ENV
} > "$out"
echo "$out"
