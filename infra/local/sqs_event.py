#!/usr/bin/env python3
"""Print an SQS event (as Lambda's event source mapping delivers it) carrying the stored ack
job of one event, to run the ack worker locally on it:

    sqs_event.py olaclick 7573920b-5558-4455-ae73-d8628aba6609 > /tmp/batch.json
    cargo lambda invoke ack-worker --data-file /tmp/batch.json
"""
import argparse
import json
import pathlib
import uuid

import boto3

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("provider")
    ap.add_argument("event_key")
    ap.add_argument("--endpoint", default=None)
    ap.add_argument("--table", default="ordergate-local-OrdersTable")
    args = ap.parse_args()
    endpoint = args.endpoint or (ROOT / ".local/emulator-dev.url").read_text().strip()
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    item = ddb.get_item(TableName=args.table, ConsistentRead=True,
                        Key={"pk": {"S": f"EVENT#{args.provider}#{args.event_key}"}, "sk": {"S": "EVENT"}}).get("Item")
    if not item:
        raise SystemExit(f"no event {args.provider}/{args.event_key} in {args.table}")
    message_id = str(uuid.uuid4())
    print(json.dumps({"Records": [{
        "messageId": message_id,
        "receiptHandle": f"local-{message_id}",
        "body": item["job"]["S"],
        "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": args.provider,
                       "SentTimestamp": "0", "SenderId": "local", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ordergate-local-AckQueue.fifo",
        "awsRegion": "us-east-1",
    }]}, indent=2))


if __name__ == "__main__":
    main()
