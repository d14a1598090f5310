#!/usr/bin/env python3
"""A bounded burst against the local gateway on 127.0.0.1 (make test, via smoke.sh): N
distinct deliveries spread over the four platforms, all sent at the same moment, then a
share of them again at once (the platforms' retries). Checks that every answer is 2xx
(0 5xx, nothing refused), that each delivery is stored exactly once (one event record per
event, counted in the table), and that the gateway still answers afterwards (not wedged).

    load.py --url http://127.0.0.1:PORT --endpoint EMULATOR --table TABLE [--count 1000]
Prints the figures; exit code 1 on any violation. Sends only to 127.0.0.1 and stops by itself.
"""
import argparse
import copy
import hashlib
import hmac
import json
import pathlib
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from localaws import client  # noqa: E402
from sign import resign  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SECRETS = json.loads((ROOT / "infra/local/secrets.json").read_text())
SKIP = {"host", "content-length", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port"}


def sample(path):
    return json.loads((ROOT / "events" / path).read_text())


def olaclick(i):
    e = sample("olaclick/order_created.json")
    body = json.loads(e["body"])
    body["event_id"] = f"load-{i:06d}-0000-4000-8000-000000000000"
    body["data"]["order_id"] = f"LOAD-{i}"
    e["body"] = json.dumps(body)
    return e


def deliverect(i):
    e = sample("deliverect/new_order.json")
    body = json.loads(e["body"])
    body["_id"] = f"load{i:020d}"
    e["body"] = json.dumps(body)
    key = SECRETS["DeliverectSecret"]["hmac_secret"].encode()
    e["headers"]["x-server-authorization-hmac-sha256"] = hmac.new(key, e["body"].encode(), hashlib.sha256).hexdigest()
    return e


def ordatic(i):
    e = sample("ordatic/order-accepted.json")
    body = json.loads(e["body"])
    body["data"]["orderId"] = f"load-{i}"
    e["body"] = json.dumps(body)
    return e


def oolio(i):
    e = sample("oolio/order_created.json")
    e["headers"]["svix-id"] = f"msg_load{i:06d}"
    return resign(e)


PLATFORMS = {"olaclick": olaclick, "deliverect": deliverect, "ordatic": ordatic, "oolio": oolio}


def post(url, event):
    headers = {k: v for k, v in event["headers"].items() if k.lower() not in SKIP}
    req = urllib.request.Request(url + event["rawPath"], data=event["body"].encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.headers.get("x-ordergate-duplicate")
    except urllib.error.HTTPError as e:
        return e.code, None
    except OSError as e:
        return f"no answer: {e}", None


def burst(url, events):
    """Sends every event at the same moment (one thread each, released together)."""
    gate = threading.Barrier(len(events))

    def one(event):
        gate.wait()
        return post(url, event)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        answers = list(pool.map(one, events))
    return answers, time.monotonic() - started


def stored(endpoint, table):
    ddb = client("dynamodb", endpoint)
    counts = {p: 0 for p in PLATFORMS}
    for page in ddb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if sk == "EVENT" and pk.startswith("EVENT#") and "load" in pk.lower():
                counts[pk.split("#")[1]] += 1
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    if not args.url.startswith("http://127.0.0.1:"):
        raise SystemExit("load.py only targets 127.0.0.1")
    per = args.count // len(PLATFORMS)
    events = [make(i) for make in PLATFORMS.values() for i in range(per)]
    answers, took = burst(args.url, events)
    retries = events[:: max(1, len(events) // 200)]
    again, took_again = burst(args.url, copy.deepcopy(retries))
    statuses = {}
    for status, _ in answers + again:
        statuses[status] = statuses.get(status, 0) + 1
    counts = stored(args.endpoint, args.table)
    status, _ = post(args.url, olaclick(per + 1))
    print(f"load: {len(events)} concurrent deliveries in {took:.1f} s, then {len(again)} retries in "
          f"{took_again:.1f} s; answers {statuses}; stored per platform {counts}; after the burst: {status}")
    errors = []
    if any(s != 200 for s, _ in answers + again):
        errors.append("not every delivery was answered 200")
    if any(d != "true" for _, d in again):
        errors.append("a retry was not recognised as a duplicate")
    if any(n != per for n in counts.values()):
        errors.append(f"expected {per} event records per platform")
    if status != 200:
        errors.append("the gateway did not answer after the burst")
    for e in errors:
        print(f"load: FAIL {e}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
