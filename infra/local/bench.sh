#!/usr/bin/env bash
# `make bench`: the figures behind the docs/performance.md's tables.
#  1. hot path (criterion): verify + parse + normalize vs a bare serde_json parse;
#  2. release binaries under a local Runtime API: cold start, peak RSS after 1,000 events,
#     throughput against the emulator; stripped arm64 sizes (cargo lambda, when it can build).
# Prints tables only; nothing here fails on a slow machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
infra/local/setup.sh
export PATH="$root/.venv/bin:$PATH"

echo "==> hot path benchmarks (criterion)"
cargo bench -q -p ordergate-tests --bench hot_path > /dev/null
"$root/.venv/bin/python" tests/benches/report.py target/criterion

echo
echo "==> release builds"
# Every function in template.yaml, as its cargo package.
read -ra functions <<< "$(cd infra/local && "$root/.venv/bin/python" -c '
import tomllib, cfn
for r in cfn.load()["Resources"].values():
    if r["Type"] == "AWS::Serverless::Function":
        print(tomllib.loads((cfn.ROOT / r["Properties"]["CodeUri"] / "Cargo.toml").read_text())["package"]["name"], end=" ")
')"
# One function per build, as SAM builds them: a receiver must not pick up the ack worker's
# features (HTTP client) through workspace feature unification.
for f in "${functions[@]}"; do
  if ! cargo lambda build --release --arm64 -p "$f" >> "$root/.local/bench-arm64.log" 2>&1; then
    echo "($f: arm64 build unavailable here: size omitted; see .local/bench-arm64.log)"
  fi
  cargo build --release -q -p "$f"
done
# The floor rows: the runtime crates alone, and with one DynamoDB write (tests/floor).
cargo build --release -q -p ordergate-floor

echo
echo "==> cold start, memory, throughput (release x86_64 binaries, emulator on 127.0.0.1)"
endpoint="$(infra/local/emulator.sh start bench 0)"
trap 'infra/local/emulator.sh stop bench' EXIT
ORDERGATE_TEST_ENDPOINT="$endpoint" cargo bench -q -p ordergate-tests --bench cold_start
