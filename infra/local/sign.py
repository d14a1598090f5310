#!/usr/bin/env python3
"""Re-sign a Svix (Oolio) sample event for now, with the official Svix library and the local
secret, and print it: Svix refuses timestamps older than 5 minutes, so stored samples need a
fresh signature before `sam local invoke -e`.

    sign.py events/oolio/order_created.json [whsec_SECRET] > /tmp/order_created.json
"""
import json
import pathlib
import sys
from datetime import datetime, timezone

from svix.webhooks import Webhook

ROOT = pathlib.Path(__file__).resolve().parents[2]


def resign(event, secret=None):
    """A copy of an API Gateway event with fresh svix-timestamp and svix-signature."""
    secret = secret or json.loads((ROOT / "infra/local/secrets.json").read_text())["OolioSecret"]["signing_secrets"].split()[0]
    event = json.loads(json.dumps(event))
    now = datetime.now(tz=timezone.utc).replace(microsecond=0)
    headers = event["headers"]
    headers["svix-timestamp"] = str(int(now.timestamp()))
    headers["svix-signature"] = Webhook(secret).sign(headers["svix-id"], now, event["body"])
    return event


if __name__ == "__main__":
    secret = sys.argv[2] if len(sys.argv) > 2 else None
    json.dump(resign(json.load(open(sys.argv[1])), secret), sys.stdout, ensure_ascii=False, indent=2)
    print()
