#!/usr/bin/env python3
"""Print the hot-path benchmark results (criterion's estimates) as one markdown table:
per platform and input, the median time of a bare serde_json::Value parse and of the
receiver's verify + parse + normalize, and their ratio (target: at most 2x)."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = {}
for bench in root.rglob("new/benchmark.json"):
    meta = json.loads(bench.read_text())
    estimates = json.loads((bench.parent / "estimates.json").read_text())
    key = meta["group_id"]
    rows.setdefault(key, {})[meta["function_id"]] = (estimates["median"]["point_estimate"], meta.get("value_str"))

print("| platform / input | bytes | bare `Value` parse | verify + parse + normalize + body hash | ratio |")
print("|---|---:|---:|---:|---:|")
for key in sorted(rows):
    r = rows[key]
    bare, size = r.get("bare serde_json::Value", (None, None))
    ours, _ = r.get("verify+parse+normalize", (None, None))
    if bare is None or ours is None:
        continue
    fmt = lambda ns: f"{ns / 1000:.1f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"
    print(f"| {key} | {int(size):,} | {fmt(bare)} | {fmt(ours)} | {ours / bare:.2f}x |")
