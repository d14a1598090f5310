#!/usr/bin/env python3
"""template.yaml deployed, as `sam deploy` deploys it, into the local AWS (ministack).

    stack.py deploy --endpoint URL --name NAME --binaries DIR [--parameter KEY=VALUE]...
                    [--secrets FILE] [--artifact FUNCTION=DIR]...
        packages each function's binary from DIR as its `bootstrap` zip, uploads the zips,
        points each function's CodeUri at its zip (what `sam package` does) and creates or
        updates stack NAME through CloudFormation with the SAM transform. Prints the stack's
        outputs as JSON (also written to .local/NAME-outputs.json, and each function's
        environment to .local/NAME-sam-env.json for `sam local invoke`). --secrets: a JSON file
        {SecretLogicalId: {key: value}} whose values are then put in the stack's secrets, as
        `ordergate secret set` does after a first deploy. --artifact: that function's code is
        DIR's `bootstrap` instead (a `sam build` output, e.g. .aws-sam/build/OlaClickFunction).
    stack.py received --platforms URL [TEXT]
        prints the requests the fake platform APIs received (those mentioning TEXT).
    stack.py events --endpoint URL --name NAME
        prints (and removes) the events the stack's rule delivered to OrderEventsQueue.
    stack.py gaps --endpoint URL
        probes each emulator gap this script works around (below) and prints, as JSON,
        whether the emulator still has it.

Everything the stack has, it has because the template says so: routes, functions, the
table and its stream, both stream mappings with their filters, the queue mapping with its
batch settings, the bus and its rules. The emulator's gaps are worked around here and only
here, each as small as it can be, each listed in GAPS with what it leaves unchecked and
each probed by `gaps`, so the workaround goes once the emulator closes it.
"""
import argparse
import hashlib
import io
import json
import pathlib
import sys
import time
import tomllib
import urllib.request
import zipfile

import boto3
from botocore.config import Config
from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ARTIFACTS = "ordergate-local-artifacts"

GAPS = {
    "host_header_unchecked": "the local AWS serves a request whatever its Host header names (API "
                             "routes are addressed by path, `/_aws/execute-api/<id>/...`): no "
                             "workaround. It listens on 127.0.0.1 only (BIND_HOST, tested), but "
                             "a web page open in the developer's browser could reach it by DNS "
                             "rebinding while `make dev` runs; it holds fake orders and the "
                             "local secrets only. Bodies over 5 MiB are refused by the receivers "
                             "(413, tested), not by the gateway",
    "metric_math_alarms": "an AWS::CloudWatch::Alarm with Metrics (metric math) fails the whole "
                          "stack: those alarms are left out of the local stack (their expressions "
                          "are checked by infra/local/check_alarms.py, not by an alarm firing)",
    "secret_ref_is_name": "`Ref` of an AWS::SecretsManager::Secret is its name, not its ARN, so "
                          "IAM statements naming a secret by `Ref` match nothing under AUTH=true: "
                          "those resources become the ARN of the name (`...:secret:<name>-*`); "
                          "that `Ref` gives the ARN a policy needs is not checked here",
    "sqs_batch_actions": "under AUTH=true SendMessageBatch, DeleteMessageBatch and "
                         "ChangeMessageVisibilityBatch need permissions of their own, which AWS "
                         "grants with SendMessage, DeleteMessage and ChangeMessageVisibility (and "
                         "IAM has no such actions): each role granting one also gets its batch "
                         "name in the local stack",
    "http_api_routes": "the routes SAM writes into an HTTP API's OpenAPI Body are not created: "
                       "each function's HttpApi event becomes its integration and route after "
                       "the deploy (the route's path and method come from the template; the "
                       "API's throttling settings are not applied to them)",
}


def platforms(outputs):
    """{platform: its name in the template} for each <Platform>WebhookUrl output."""
    names = [k[: -len("WebhookUrl")] for k in outputs if k.endswith("WebhookUrl")]
    return {name.lower(): name for name in names}


def listeners(ports):
    """(port, address) of each listening TCP socket on one of `ports` (/proc/net/tcp{,6})."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) in ports:
                found.append((int(port, 16), ipv4(address) if width == 8 else address))
    return found


def ipv4(little_endian_hex):
    return ".".join(str(b) for b in reversed(bytes.fromhex(little_endian_hex)))


def aws(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 2}, read_timeout=300))


def load_template():
    return yaml_parse((ROOT / "template.yaml").read_text())


def functions(template):
    """{logical id: resource} of the template's functions."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def binary_name(code_uri):
    """The crate's binary: its [[bin]] name, else the package name (as cargo-lambda builds it)."""
    manifest = tomllib.loads((ROOT / code_uri / "Cargo.toml").read_text())
    bins = manifest.get("bin", [])
    return bins[0]["name"] if bins else manifest["package"]["name"]


def bootstrap_zip(binary):
    """A Lambda deployment package: the binary as an executable `bootstrap`, reproducible."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, binary.read_bytes())
    return buf.getvalue()


def package(template, endpoint, binaries, artifacts):
    """Uploads each function's zip under its content hash and sets its CodeUri to it: an
    unchanged binary leaves its function unchanged, a rebuilt one updates it. `artifacts`:
    {function: folder with its bootstrap} for functions built by `sam build`."""
    s3 = aws("s3", endpoint)
    try:
        s3.create_bucket(Bucket=ARTIFACTS)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    for logical, resource in functions(template).items():
        props = resource["Properties"]
        binary = (pathlib.Path(artifacts[logical]) / "bootstrap" if logical in artifacts
                  else binaries / binary_name(props["CodeUri"]))
        if not binary.is_file():
            sys.exit(f"{logical}: no binary at {binary} (build it first)")
        body = bootstrap_zip(binary)
        key = f"{logical}/{hashlib.sha256(body).hexdigest()}.zip"
        s3.put_object(Bucket=ARTIFACTS, Key=key, Body=body)
        props["CodeUri"] = {"Bucket": ARTIFACTS, "Key": key}


def without_metric_math_alarms(template):
    """Gap metric_math_alarms: the template less its metric-math alarms."""
    resources = template["Resources"]
    for name in [k for k, v in resources.items()
                 if v["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in v.get("Properties", {})]:
        del resources[name]


def secret_refs_as_arns(template):
    """Gap secret_ref_is_name: in every IAM role's statements, a secret named by `Ref`
    becomes the ARN pattern of that name (Secrets Manager appends `-` and 6 characters)."""
    resources = template["Resources"]
    secrets = {k for k, v in resources.items() if v["Type"] == "AWS::SecretsManager::Secret"}

    def arn(resource):
        if isinstance(resource, dict) and resource.get("Ref") in secrets:
            return {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${%s}-*"
                    % resource["Ref"]}
        return resource

    for statement in role_statements(template):
        listed = statement.get("Resource")
        statement["Resource"] = [arn(r) for r in listed] if isinstance(listed, list) else arn(listed)


SQS_BATCH = {f"sqs:{a}": f"sqs:{a}Batch" for a in ("SendMessage", "DeleteMessage", "ChangeMessageVisibility")}


def sqs_batch_actions(template):
    """Gap sqs_batch_actions: each SQS action a role grants, with its batch name beside it."""
    for statement in role_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = actions + [SQS_BATCH[a] for a in actions if a in SQS_BATCH]


def role_statements(template):
    """Every statement of every IAM role's inline policies, to be edited in place."""
    for role in (v for v in template["Resources"].values() if v["Type"] == "AWS::IAM::Role"):
        for policy in role["Properties"].get("Policies", []):
            yield from policy["PolicyDocument"]["Statement"]


def without_tls_only_statements(template):
    """Not a gap: the local AWS is served over plain HTTP, so a bucket policy's statement
    denying requests without TLS (as AWS would deny them) would refuse every call. Those
    statements are left out locally; check_template.py requires them in the template."""
    resources = template["Resources"]
    for name in [k for k, v in resources.items() if v["Type"] == "AWS::S3::BucketPolicy"]:
        document = resources[name]["Properties"]["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"]
                                 if str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower()
                                 != "false"]
        if not document["Statement"]:
            del resources[name]


def http_api_events(template):
    """(function, path, method) of every HttpApi event in the template."""
    for logical, resource in functions(template).items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                yield logical, event["Properties"]["Path"], event["Properties"]["Method"]


def add_http_api_routes(template, endpoint, name):
    """Gap http_api_routes: each HttpApi event's integration and route, as SAM's OpenAPI
    body would have made them (payload format 2.0, the function as AWS_PROXY target)."""
    cfn, apigw = aws("cloudformation", endpoint), aws("apigatewayv2", endpoint)
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    api = physical["WebhookApi"]
    routes = {r["RouteKey"] for r in apigw.get_routes(ApiId=api)["Items"]}
    fn = aws("lambda", endpoint)
    for logical, path, method in http_api_events(template):
        key = f"{method.upper()} {path}"
        if key in routes:
            continue
        arn = fn.get_function(FunctionName=physical[logical])["Configuration"]["FunctionArn"]
        integration = apigw.create_integration(
            ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=arn,
            PayloadFormatVersion="2.0")["IntegrationId"]
        apigw.create_route(ApiId=api, RouteKey=key, Target=f"integrations/{integration}")


def wait(cfn, name):
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        time.sleep(0.5)


def failure_reasons(cfn, name):
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [f'{e["LogicalResourceId"]}: {e.get("ResourceStatusReason", "")}'
            for e in events if e["ResourceStatus"].endswith("FAILED")]


def template_url(endpoint, body):
    """The template uploaded to the artifacts bucket, as `sam deploy` uploads one over
    CloudFormation's 51,200-byte limit for a template sent in the request."""
    text = json.dumps(body).encode()
    key = f"templates/{hashlib.sha256(text).hexdigest()}.json"
    aws("s3", endpoint).put_object(Bucket=ARTIFACTS, Key=key, Body=text)
    return f"{endpoint}/{ARTIFACTS}/{key}"


def create_or_update(cfn, name, url, parameters):
    args = dict(StackName=name, TemplateURL=url,
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    try:
        cfn.describe_stacks(StackName=name)
        exists = True
    except cfn.exceptions.ClientError:
        exists = False
    try:
        (cfn.update_stack if exists else cfn.create_stack)(**args)
    except cfn.exceptions.ClientError as e:
        if "No updates are to be performed" not in str(e):
            raise
    stack = wait(cfn, name)
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        sys.exit(f"stack {name}: {stack['StackStatus']}\n  " + "\n  ".join(failure_reasons(cfn, name)))
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def put_secrets(endpoint, name, path):
    cfn, sm = aws("cloudformation", endpoint), aws("secretsmanager", endpoint)
    for logical, value in json.loads(pathlib.Path(path).read_text()).items():
        secret = cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical)
        sm.put_secret_value(SecretId=secret["StackResourceDetail"]["PhysicalResourceId"],
                            SecretString=json.dumps(value))


def write_sam_env(endpoint, name, template, state):
    """.local/NAME-sam-env.json: each function's environment as deployed, for `sam local
    invoke --env-vars` (Docker reaches this machine as host.docker.internal)."""
    cfn, fn = aws("cloudformation", endpoint), aws("lambda", endpoint)
    env = {}
    for logical in functions(template):
        physical = cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical)
        config = fn.get_function_configuration(FunctionName=physical["StackResourceDetail"]["PhysicalResourceId"])
        env[logical] = {k: v.replace("127.0.0.1", "host.docker.internal").replace("localhost", "host.docker.internal")
                        for k, v in config["Environment"]["Variables"].items()}
    (state / f"{name}-sam-env.json").write_text(json.dumps(env, indent=2, sort_keys=True) + "\n")


def deploy(args):
    template = load_template()
    parameters = dict(p.split("=", 1) for p in args.parameter)
    package(template, args.endpoint, pathlib.Path(args.binaries), dict(a.split("=", 1) for a in args.artifact))
    without_metric_math_alarms(template)
    secret_refs_as_arns(template)
    sqs_batch_actions(template)
    without_tls_only_statements(template)
    cfn = aws("cloudformation", args.endpoint)
    outputs = create_or_update(cfn, args.name, template_url(args.endpoint, template), parameters)
    add_http_api_routes(template, args.endpoint, args.name)
    if args.secrets:
        put_secrets(args.endpoint, args.name, args.secrets)
    text = json.dumps(outputs, indent=2, sort_keys=True)
    state = ROOT / ".local"
    state.mkdir(exist_ok=True)
    (state / f"{args.name}-outputs.json").write_text(text + "\n")
    write_sam_env(args.endpoint, args.name, template, state)
    print(text)


def received_requests(platforms_url):
    """Every request the fake platform APIs at `platforms_url` received, oldest first."""
    with urllib.request.urlopen(platforms_url + "/_received", timeout=10) as r:
        return json.load(r)


def received(args):
    for request in received_requests(args.platforms):
        if args.text in json.dumps(request):
            body = "" if request["body"] is None else json.dumps(request["body"])
            print(f'{request["method"]} {request["path"]} -> {request["status"]} {body}')


def events(args):
    outputs = json.loads((ROOT / f".local/{args.name}-outputs.json").read_text())
    sqs = aws("sqs", args.endpoint)
    while messages := sqs.receive_message(QueueUrl=outputs["OrderEventsQueueUrl"], MaxNumberOfMessages=10,
                                          WaitTimeSeconds=1).get("Messages", []):
        for m in messages:
            event = json.loads(m["Body"])
            detail = event["detail"]
            said = detail.get("answer") or detail.get("message") or ""
            print(f'{event["time"]}  {event["detail-type"]}  {detail.get("provider") or detail.get("platform")} '
                  f'{detail.get("order_id")} {detail.get("status", "")} {said}'.rstrip())
            sqs.delete_message(QueueUrl=outputs["OrderEventsQueueUrl"], ReceiptHandle=m["ReceiptHandle"])


def put_event(args):
    """Puts an EventBridge event file's source, detail-type and detail on the stack's bus, as
    a restaurant's system does (events/commands/)."""
    outputs = json.loads((ROOT / f".local/{args.name}-outputs.json").read_text())
    event = json.loads(pathlib.Path(args.file).read_text())
    out = aws("events", args.endpoint).put_events(Entries=[{
        "EventBusName": outputs["OrderEventsBusName"], "Source": event["source"],
        "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}])
    if out.get("FailedEntryCount"):
        sys.exit(f"not put: {out['Entries']}")
    print(f'{event["detail-type"]} put on {outputs["OrderEventsBusName"]}: {json.dumps(event["detail"])}')


def probe_metric_math_alarms(endpoint):
    """True while a stack with one metric-math alarm fails to create."""
    cfn = aws("cloudformation", endpoint)
    body = {"Resources": {"Probe": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "EvaluationPeriods": 1, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "e", "Expression": "m * 2", "ReturnData": True},
                    {"Id": "m", "ReturnData": False, "MetricStat": {
                        "Metric": {"Namespace": "probe", "MetricName": "probe"},
                        "Period": 60, "Stat": "Sum"}}]}}}}
    cfn.create_stack(StackName="gap-metric-math", TemplateBody=json.dumps(body))
    status = wait(cfn, "gap-metric-math")["StackStatus"]
    cfn.delete_stack(StackName="gap-metric-math")
    return status != "CREATE_COMPLETE"


def probe_http_api_routes(endpoint):
    """True while an HttpApi event's route is missing after the SAM transform."""
    cfn = aws("cloudformation", endpoint)
    body = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Api": {"Type": "AWS::Serverless::HttpApi"},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "provided.al2023", "Handler": "bootstrap", "InlineCode": "x",
            "Events": {"Hook": {"Type": "HttpApi", "Properties": {
                "ApiId": {"Ref": "Api"}, "Path": "/probe", "Method": "POST"}}}}}}}
    cfn.create_stack(StackName="gap-http-api-routes", TemplateBody=json.dumps(body),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    stack = wait(cfn, "gap-http-api-routes")
    if stack["StackStatus"] != "CREATE_COMPLETE":
        sys.exit("gap probe http_api_routes: " + "; ".join(failure_reasons(cfn, "gap-http-api-routes")))
    api = cfn.describe_stack_resource(StackName="gap-http-api-routes", LogicalResourceId="Api")
    api_id = api["StackResourceDetail"]["PhysicalResourceId"]
    routes = aws("apigatewayv2", endpoint).get_routes(ApiId=api_id)["Items"]
    cfn.delete_stack(StackName="gap-http-api-routes")
    return "POST /probe" not in {r["RouteKey"] for r in routes}


def probe_secret_ref_is_name(endpoint):
    """True while `Ref` of a secret is not its ARN."""
    cfn = aws("cloudformation", endpoint)
    body = {"Resources": {"Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "{}"}}},
            "Outputs": {"Ref": {"Value": {"Ref": "Secret"}}}}
    cfn.create_stack(StackName="gap-secret-ref", TemplateBody=json.dumps(body))
    stack = wait(cfn, "gap-secret-ref")
    cfn.delete_stack(StackName="gap-secret-ref")
    return not stack["Outputs"][0]["OutputValue"].startswith("arn:")


def probe_sqs_batch_actions(endpoint):
    """True while a role allowed sqs:SendMessage is denied SendMessageBatch (AUTH=true)."""
    iam, sqs = aws("iam", endpoint), aws("sqs", endpoint)
    queue = sqs.create_queue(QueueName="gap-sqs-batch")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": "arn:aws:iam::000000000000:root"}}]}
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}]}
    role = iam.create_role(RoleName="gap-sqs-batch", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="gap-sqs-batch", PolicyName="send", PolicyDocument=json.dumps(policy))
    creds = aws("sts", endpoint).assume_role(RoleArn=role, RoleSessionName="probe")["Credentials"]
    as_role = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    try:
        as_role.send_message_batch(QueueUrl=queue, Entries=[{"Id": "1", "MessageBody": "probe"}])
        denied = False
    except as_role.exceptions.ClientError as e:
        denied = "AccessDenied" in str(e)
    iam.delete_role_policy(RoleName="gap-sqs-batch", PolicyName="send")
    iam.delete_role(RoleName="gap-sqs-batch")
    sqs.delete_queue(QueueUrl=queue)
    return denied


# Each gap's probe: True while the emulator still has it.
def probe_host_header_unchecked(endpoint):
    """True while a request naming another host is served."""
    request = urllib.request.Request(f"{endpoint}/_ministack/health", headers={"Host": "rebinding.example"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status == 200


PROBES = {"host_header_unchecked": probe_host_header_unchecked, "metric_math_alarms": probe_metric_math_alarms, "http_api_routes": probe_http_api_routes,
          "secret_ref_is_name": probe_secret_ref_is_name, "sqs_batch_actions": probe_sqs_batch_actions}


def gaps(args):
    print(json.dumps({gap: probe(args.endpoint) for gap, probe in PROBES.items()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy")
    d.add_argument("--endpoint", required=True)
    d.add_argument("--name", required=True)
    d.add_argument("--binaries", required=True, help="folder with each function's binary")
    d.add_argument("--parameter", action="append", default=[], help="KEY=VALUE template parameter")
    d.add_argument("--secrets", help="JSON file {SecretLogicalId: {key: value}}")
    d.add_argument("--artifact", action="append", default=[], help="FUNCTION=DIR: DIR/bootstrap is its code")
    d.set_defaults(run=deploy)
    r = sub.add_parser("received")
    r.add_argument("--platforms", required=True, help="the fake platform APIs' URL")
    r.add_argument("text", nargs="?", default="")
    r.set_defaults(run=received)
    e = sub.add_parser("events")
    e.add_argument("--endpoint", required=True)
    e.add_argument("--name", required=True)
    e.set_defaults(run=events)
    p = sub.add_parser("put-event")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("file")
    p.set_defaults(run=put_event)
    g = sub.add_parser("gaps")
    g.add_argument("--endpoint", required=True)
    g.set_defaults(run=gaps)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
