#!/usr/bin/env python3
"""The local gateway's configuration (infra/local/gateway), from template.yaml: the HTTP
API's routes, and for every function its cargo binary, source folder, timeout, memory and
environment as deployed (function_env: Globals + its own, resolved to the local stack's
resources), plus the emulator's endpoint and dummy credentials. Prints JSON.
"""
import argparse
import json
import sys
import tomllib

import cfn


def binary(code_uri):
    """The cargo binary built from a function's CodeUri (its [[bin]] name, else the package)."""
    manifest = tomllib.loads((cfn.ROOT / code_uri / "Cargo.toml").read_text())
    bins = manifest.get("bin", [])
    return bins[0]["name"] if bins else manifest["package"]["name"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resources", required=True, help="bootstrap.py's output (JSON)")
    ap.add_argument("--endpoint", required=True, help="the emulator's URL")
    ap.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    template = cfn.load()
    names = {k: {"Ref": v} for k, v in json.loads(args.resources).items() if isinstance(v, str)}
    resolver = cfn.Resolver(template, names, dict(p.split("=", 1) for p in args.parameter))
    globals_ = template.get("Globals", {}).get("Function", {})
    routes, functions = {}, {}
    for name, r in template["Resources"].items():
        if r["Type"] != "AWS::Serverless::Function":
            continue
        props = r["Properties"]
        env = cfn.function_environment(template, resolver, name)
        env.update({"AWS_ENDPOINT_URL": args.endpoint, "AWS_REGION": cfn.REGION,
                    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    # The emulator answers one request at a time: under a burst a call can
                    # wait far longer than DynamoDB ever makes it (1.2 s on AWS).
                    "ORDERGATE_AWS_TIMEOUT_MS": "20000"})
        functions[name] = {
            "binary": binary(props["CodeUri"]),
            "code_uri": props["CodeUri"],
            "env": env,
            "timeout": int(props.get("Timeout", globals_.get("Timeout", 3))),
            "memory": int(props.get("MemorySize", globals_.get("MemorySize", 128))),
        }
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                e = event["Properties"]
                routes[f"{e['Method'].upper()} {e['Path']}"] = name
    json.dump({"routes": routes, "functions": functions}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
