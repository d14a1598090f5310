#!/usr/bin/env python3
"""Each function's environment exactly as template.yaml gives it (Globals + its own
variables, parameters at their defaults unless overridden), resolved to the local stack's
resources. Prints {FunctionLogicalId: {VAR: value}}.

Used by the tests that build every function from its deployed environment, so a variable
the code reads and the template does not set (or names differently) fails here.
"""
import argparse
import json
import sys

import cfn


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resources", required=True, help="bootstrap.py's output (JSON)")
    ap.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    template = cfn.load()
    physical = json.loads(args.resources)
    names = {k: {"Ref": v} for k, v in physical.items() if isinstance(v, str)}
    parameters = dict(p.split("=", 1) for p in args.parameter)
    resolver = cfn.Resolver(template, names, parameters)
    out = {name: cfn.function_environment(template, resolver, name)
           for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
