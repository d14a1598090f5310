#!/usr/bin/env python3
"""Print what the local stack stored for an order: its current state and its event trail.

    show.py PROVIDER ORDER_ID [--endpoint URL] [--table NAME]
"""
import argparse
import json

from localaws import client, endpoint, table_args


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("provider")
    ap.add_argument("order_id")
    table_args(ap)
    args = ap.parse_args()
    ddb = client("dynamodb", endpoint(args.endpoint))
    items = ddb.query(TableName=args.table, KeyConditionExpression="pk = :pk", ConsistentRead=True,
                      ExpressionAttributeValues={":pk": {"S": f"ORDER#{args.provider}#{args.order_id}"}})["Items"]
    if not items:
        raise SystemExit(f"no order {args.provider}/{args.order_id} in {args.table}")
    out = {"state": None, "trail": []}
    for item in items:
        if item["sk"]["S"] == "STATE":
            out["state"] = {
                "status": item["status"]["S"],
                "last_event_type": item["last_event_type"]["S"],
                "order": json.loads(item["order"]["S"]) if "order" in item else None,
            }
        else:
            e = json.loads(item["event"]["S"])
            entry = {k: e.get(k) for k in ("received_at", "event_type", "dedupe_key", "warnings")}
            entry["ack_status"] = item.get("ack_status", {}).get("S", "pending")
            out["trail"].append(entry)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
