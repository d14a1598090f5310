#!/usr/bin/env python3
"""Print an SQS event (as Lambda's event source mapping delivers it) carrying the stored ack
job of one event, to run the ack worker locally on it:

    sqs_event.py olaclick 7573920b-5558-4455-ae73-d8628aba6609 > /tmp/batch.json
    infra/local/invoke.py ack-worker /tmp/batch.json     (make dev running)
"""
import argparse
import json
import uuid

from localaws import client, endpoint, table_args


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("provider")
    ap.add_argument("event_key")
    table_args(ap)
    args = ap.parse_args()
    ddb = client("dynamodb", endpoint(args.endpoint))
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
