#!/usr/bin/env bash
# Regenerates the hashed locks the local tooling installs from (infra/requirements*.lock)
# after a change to infra/requirements*.txt: every package, transitive ones too, pinned
# with the hashes of its published files; `pip install --require-hashes` then refuses
# anything else. Each lock records the sha256 of the file it came from, so setup.sh can
# tell a stale lock. Needs PyPI (pip-tools is installed into a throw-away venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet --disable-pip-version-check pip-tools==7.6.2
# Arguments: only those requirement files (e.g. infra/requirements-stack.txt); none: all.
if (( $# )); then reqs=("$@"); else reqs=("$root"/infra/requirements*.txt); fi
for req in "${reqs[@]}"; do
  req="$(cd "$(dirname "$req")" && pwd)/$(basename "$req")"
  lock="${req%.txt}.lock"
  echo "==> $(basename "$req") -> $(basename "$lock")"
  # A machine's own wheel folder (PIP_FIND_LINKS) must not end up in the lock.
  (cd "$root/infra" && PIP_FIND_LINKS= "$tools/bin/pip-compile" --quiet --generate-hashes \
    --allow-unsafe --strip-extras --no-header --no-emit-find-links \
    -o "$lock.new" "$(basename "$req")")
  { echo "# from $(basename "$req") sha256 $(sha256sum "$req" | cut -d' ' -f1) (infra/local/lock.sh)"
    cat "$lock.new"; } > "$lock"
  rm "$lock.new"
done
