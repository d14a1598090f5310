#!/usr/bin/env python3
"""Create template.yaml's tables, queues, buckets, event buses and secrets in moto, for the
Rust tests (cargo test): their own stack per test, created in milliseconds, on the emulator
whose DynamoDB races and fault injection they need. `make dev` and the deployed-stack test
deploy the template itself instead (infra/local/stack.py).

The template is the single source of truth: key schema, TTL, FIFO and redrive settings are
read from it, so the tests run against the resources SAM deploys.
Prints a JSON object {LogicalId: name, url or arn} for the scripts and tests that use them.
"""
import argparse
import json
import pathlib
import sys

import boto3

from cfn import REGION, Resolver, load

ROOT = pathlib.Path(__file__).resolve().parents[2]


def resources_of(kind, template):
    return {k: v.get("Properties", {}) for k, v in template["Resources"].items() if v["Type"] == kind}


def local_outputs(template, resources, webhook_base):
    """The template's Outputs with the local resources' names: what `ordergate --stack`
    reads from a deployed stack. The API's URL becomes `webhook_base` (a test's server); outputs of
    resources the local stack does not have (alarms, dashboard) are left out."""
    api = "https://WebhookApi.execute-api.{}.amazonaws.com".format(REGION)
    names = {k: {"Ref": v} for k, v in resources.items()}
    names["WebhookApi"] = {"Ref": "WebhookApi"}
    resolver = Resolver(template, names)
    outputs = {}
    for name, output in template.get("Outputs", {}).items():
        try:
            if "Condition" in output and not resolver.condition(output["Condition"]):
                continue
            value = str(resolver.resolve(output["Value"]))
        except KeyError:
            continue
        outputs[name] = webhook_base.rstrip("/") + value[len(api):] if value.startswith(api) else value
    return outputs


def publish(cloudformation, stack, outputs):
    """A CloudFormation stack named like the local prefix whose only content is `outputs`."""
    body = {"Resources": {"LocalStack": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {k: {"Value": v} for k, v in outputs.items()}}
    try:
        cloudformation.delete_stack(StackName=stack)
    except cloudformation.exceptions.ClientError:
        pass
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(body))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--prefix", default="ordergate-local")
    ap.add_argument("--secrets", default=str(ROOT / "infra/local/secrets.json"),
                    help="JSON file {SecretLogicalId: {key: value}} with local secret values")
    ap.add_argument("--webhook-base", default="http://127.0.0.1:9000",
                    help="where a test serves the template's routes")
    args = ap.parse_args()

    template = load()
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="us-east-1")
    ddb = session.client("dynamodb", endpoint_url=args.endpoint)
    sqs = session.client("sqs", endpoint_url=args.endpoint)
    sm = session.client("secretsmanager", endpoint_url=args.endpoint)
    out = {}

    for logical, p in resources_of("AWS::DynamoDB::Table", template).items():
        name = f"{args.prefix}-{logical}"
        extra = {}
        if "GlobalSecondaryIndexes" in p:
            extra["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        if "StreamSpecification" in p:
            extra["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        try:
            ddb.create_table(TableName=name, AttributeDefinitions=p["AttributeDefinitions"],
                             KeySchema=p["KeySchema"], BillingMode=p["BillingMode"], **extra)
        except ddb.exceptions.ResourceInUseException:
            pass
        ttl = p.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        out[logical] = name

    queues = resources_of("AWS::SQS::Queue", template)
    # Dead-letter queues first: the others' redrive policies point at them.
    for logical, p in sorted(queues.items(), key=lambda kv: "RedrivePolicy" in kv[1]):
        fifo = p.get("FifoQueue", False)
        name = f"{args.prefix}-{logical}" + (".fifo" if fifo else "")
        attrs = {k: str(p[k]).lower() if isinstance(p[k], bool) else str(p[k])
                 for k in ("FifoQueue", "ContentBasedDeduplication", "VisibilityTimeout",
                           "MessageRetentionPeriod", "DeduplicationScope", "FifoThroughputLimit")
                 if k in p}
        if "RedrivePolicy" in p:
            target = p["RedrivePolicy"]["deadLetterTargetArn"]["GetAtt"].split(".")[0]
            arn = sqs.get_queue_attributes(QueueUrl=out[target], AttributeNames=["QueueArn"])
            attrs["RedrivePolicy"] = json.dumps({
                "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
                "maxReceiveCount": str(p["RedrivePolicy"]["maxReceiveCount"]),
            })
        out[logical] = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]

    s3 = session.client("s3", endpoint_url=args.endpoint)
    for logical in resources_of("AWS::S3::Bucket", template):
        name = f"{args.prefix}-{logical}".lower()
        try:
            s3.create_bucket(Bucket=name)
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            pass
        out[logical] = name

    events = session.client("events", endpoint_url=args.endpoint)
    for logical in resources_of("AWS::Events::EventBus", template):
        name = f"{args.prefix}-{logical}"
        try:
            events.create_event_bus(Name=name)
        except events.exceptions.ResourceAlreadyExistsException:
            pass
        out[logical] = name

    local_secrets = json.loads(pathlib.Path(args.secrets).read_text())
    for logical in resources_of("AWS::SecretsManager::Secret", template):
        name = f"{args.prefix}/{logical}"
        value = json.dumps(local_secrets.get(logical, {}))
        try:
            out[logical] = sm.create_secret(Name=name, SecretString=value)["ARN"]
        except sm.exceptions.ResourceExistsException:
            out[logical] = sm.put_secret_value(SecretId=name, SecretString=value)["ARN"]

    publish(session.client("cloudformation", endpoint_url=args.endpoint), args.prefix,
            local_outputs(template, out, args.webhook_base))
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
