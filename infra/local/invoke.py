#!/usr/bin/env python3
"""Invoke a local function with an event file through Lambda's Invoke API (the local
gateway serves it), as `aws lambda invoke` does; prints the function's answer.

    invoke.py ack-worker /tmp/batch.json [--url http://127.0.0.1:9000]
Exit code 0 when the function answered, 1 when it failed (X-Amz-Function-Error).
"""
import argparse
import os
import sys
import urllib.request


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("function", help="logical id (AckWorkerFunction) or binary name (ack-worker)")
    ap.add_argument("event")
    ap.add_argument("--url", default=os.environ.get("ORDERGATE_URL", "http://127.0.0.1:9000"))
    args = ap.parse_args()
    req = urllib.request.Request(f"{args.url}/2015-03-31/functions/{args.function}/invocations",
                                 data=open(args.event, "rb").read(), method="POST")
    with urllib.request.urlopen(req, timeout=120) as r:
        print(r.read().decode())
        sys.exit(1 if r.headers.get("x-amz-function-error") else 0)


if __name__ == "__main__":
    main()
