#!/usr/bin/env bash
# Installs the project's local tooling: ./.venv (emulator, cargo-lambda, SAM CLI, cfn-lint,
# svix) from infra/requirements.txt, and ./.venv-scan (checkov, whose pinned boto3 clashes
# with the SAM CLI's) from infra/requirements-scan.txt. Re-runs only when a file changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

install() {
  local venv="$root/$1" req="$root/$2"
  local stamp="$venv/.requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "==> installing $2 into $1 (first run takes a minute or two)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
}

install .venv infra/requirements.txt
install .venv-scan infra/requirements-scan.txt
