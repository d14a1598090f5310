#!/usr/bin/env python3
"""Print the DynamoDB stream event the publisher would receive from one of its event
source mappings: every record of the table's stream (from the emulator), filtered with the
FilterCriteria of that mapping in template.yaml (PublisherStream: order changes;
AckRelayStream: the outbox's new pending jobs), in Lambda's event format. Runs the
publisher on its own:

    stream_event.py > /tmp/stream.json
    sam local invoke PublisherFunction -e /tmp/stream.json
"""
import argparse
import json


import cfn
from localaws import client, endpoint, table, table_args


def matches(pattern, value):
    """EventBridge-style filter: every key of the pattern matches; leaves list allowed values."""
    if isinstance(pattern, list):
        return value in pattern
    return isinstance(value, dict) and all(matches(p, value.get(k)) for k, p in pattern.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    table_args(ap)
    ap.add_argument("--mapping", default="PublisherStream",
                    help="the event source mapping whose filter applies (default PublisherStream)")
    args = ap.parse_args()
    url = endpoint(args.endpoint)
    template = cfn.load()
    filters = template["Resources"][args.mapping]["Properties"]["FilterCriteria"]["Filters"]
    patterns = [json.loads(f["Pattern"]) for f in filters]

    ddb, streams = client("dynamodb", url), client("dynamodbstreams", url)
    arn = ddb.describe_table(TableName=table(args.table))["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = streams.get_records(ShardIterator=it)
            for r in out["Records"]:
                r["eventSourceARN"] = arn
                r["dynamodb"].pop("ApproximateCreationDateTime", None)
                if any(matches(p, r) for p in patterns):
                    records.append(r)
            it = out.get("NextShardIterator") if out["Records"] else None
    print(json.dumps({"Records": records}))


if __name__ == "__main__":
    main()
