#!/usr/bin/env python3
"""Security properties of template.yaml that linters do not check (make test).

- IAM: every function has a role of its own (else SAM attaches AWSLambdaBasicExecutionRole,
  logs on "*"), with no managed policies; every Allow statement names actions without
  wildcards and a resource that is not "*" (but for X-Ray's, which take none); no SAM event source that attaches a managed
  role with Resource "*" (SQS, Kinesis, DynamoDB). check_iam.py checks them against the code.
- Secrets: only in AWS::SecretsManager::Secret resources, which carry no secret values
  (placeholders or generated); no parameter looks like a credential. Every secret is
  retained on delete/replace, and its value properties are pinned: CloudFormation rewrites
  a deployed secret's value (the operator's keys, a generated token a platform holds)
  whenever SecretString or GenerateSecretString changes, so they never may.
- Encryption at rest on the table, both queues and the bucket; TLS-only bucket policy; the
  table protected from deletion.
- samconfig.toml: prod shows its change set before applying it; no placeholder AlarmEmail
  (it would silence the AlarmsReachNobody output while alarms reach no one).
- API throttling and access logs configured; every function has a log group with retention.
- Every SQS event source mapping has a maximum concurrency.
Exits non-zero with every violation listed.
"""
import hashlib
import json
import pathlib
import re
import shlex
import sys
import tomllib

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import cfn  # noqa: E402  (the template reader the local stack uses)

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE_ATTACHING_EVENTS = {"SQS", "Kinesis", "DynamoDB", "MSK", "MQ"}
# sha256 (16 hex) of each secret's value properties as first deployed. Changing one would
# overwrite what operators stored: add a new secret instead, and pin it here.
PINNED_SECRETS = {
    "OlaClickSecret": "408e53ed048fd766",
    "OlaClickApiSecret": "202d18a20024a9f5",
    "DeliverectSecret": "da4226c67035d11c",
    "DeliverectApiSecret": "2ffe46aec0d9bb70",
    "OrdaticSecret": "f0e121a040b2195e",
    "OrdaticApiSecret": "6218e89b3565692d",
    "OolioSecret": "fad1d334dae5edd9",
}
PLACEHOLDER_EMAIL = re.compile(r"@(example\.(com|org|net)|[^@]*\.(test|example|invalid|localhost))$", re.I)
CREDENTIAL_NAME = re.compile(r"secret|password|token|apikey|api_key", re.I)


def main():
    template = cfn.load()
    resources = template["Resources"]
    errors = []
    checked = {"statements": 0}

    def by_type(kind):
        return {k: v.get("Properties", {}) for k, v in resources.items() if v["Type"] == kind}

    functions = by_type("AWS::Serverless::Function")
    for name, props in by_type("AWS::IAM::Role").items():
        if props.get("ManagedPolicyArns"):
            errors.append(f"{name}: managed policies {props['ManagedPolicyArns']}")
        for policy in props.get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                checked["statements"] += 1
                check_statement(name, st, errors)
    for name, props in by_type("AWS::IAM::Policy").items():
        for st in props["PolicyDocument"]["Statement"]:
            checked["statements"] += 1
            check_statement(name, st, errors)
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    if "QUEUE_URL" in globals_env:
        errors.append("Globals: QUEUE_URL given to every function (only those that call SQS need it)")
    for name, props in functions.items():
        # The ack queue's URL only where the role may send to it or poll it.
        role_name = str(props.get("Role", {}).get("GetAtt", "")).split(".")[0]
        role = resources.get(role_name, {}).get("Properties", {})
        calls_sqs = "sqs:" in json.dumps(role.get("Policies", []))
        has_url = "QUEUE_URL" in (props.get("Environment", {}).get("Variables", {}))
        if has_url and not calls_sqs:
            errors.append(f"{name}: QUEUE_URL without any SQS permission")
        # Without a Role of its own, SAM attaches AWSLambdaBasicExecutionRole (logs on "*").
        if "Role" not in props:
            errors.append(f"{name}: no explicit Role (SAM would attach a managed one)")
        for policy in props.get("Policies", []):
            errors.append(f"{name}: policies belong in its Role ({policy})")
        events = props.get("Events") or {}
        # A webhook receiver can be given concurrency of its own (ReceiverReservedConcurrency).
        if any(spec.get("Type") == "HttpApi" for spec in events.values()) and "ReservedConcurrentExecutions" not in props:
            errors.append(f"{name}: a receiver without ReservedConcurrentExecutions (ReceiverReservedConcurrency)")
        for event, spec in events.items():
            if spec.get("Type") in ROLE_ATTACHING_EVENTS:
                errors.append(f"{name}: event {event} ({spec['Type']}) attaches a role with Resource '*'")
        function_name = str(props.get("FunctionName", {}).get("Sub", "")) if isinstance(props.get("FunctionName"), dict) else ""
        log_groups = [
            p for p in by_type("AWS::Logs::LogGroup").values()
            if function_name and str(p.get("LogGroupName", {}).get("Sub", "")) == f"/aws/lambda/{function_name}"
        ]
        if not log_groups or not all(g.get("RetentionInDays") == {"Ref": "LogRetentionDays"} for g in log_groups):
            errors.append(f"{name}: no log group kept for LogRetentionDays")

    for name, props in by_type("AWS::Logs::LogGroup").items():
        if props.get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
            errors.append(f"{name}: not kept for LogRetentionDays")

    for name, props in by_type("AWS::SecretsManager::Secret").items():
        plain = props.get("SecretString")
        if plain is not None and any(v for v in yaml.safe_load(plain).values()):
            errors.append(f"{name}: secret value in the template")
        if resources[name].get("DeletionPolicy") != "Retain" or resources[name].get("UpdateReplacePolicy") != "Retain":
            errors.append(f"{name}: a secret must be retained (DeletionPolicy and UpdateReplacePolicy: Retain)")
        value = {k: props[k] for k in ("SecretString", "GenerateSecretString") if k in props}
        digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
        if PINNED_SECRETS.get(name) != digest:
            errors.append(f"{name}: value properties changed or not pinned ({digest}): a stack update "
                          "would overwrite the deployed value; add a new secret instead")
    for name in template.get("Parameters", {}):
        if CREDENTIAL_NAME.search(name):
            errors.append(f"parameter {name} looks like a credential: use Secrets Manager")
    # Every function traced as the Tracing parameter says (X-Ray, Active by default).
    if template.get("Globals", {}).get("Function", {}).get("Tracing") != {"Ref": "Tracing"}:
        errors.append("Globals: functions are not traced (Tracing: !Ref Tracing)")
    if template.get("Parameters", {}).get("Tracing", {}).get("Default") != "Active":
        errors.append("parameter Tracing: Active by default")
    for name, props in by_type("AWS::DynamoDB::Table").items():
        if not props.get("SSESpecification", {}).get("SSEEnabled"):
            errors.append(f"{name}: no SSE")
        # Every order and its trail live here: no console click or API call deletes it.
        if props.get("DeletionProtectionEnabled") is not True:
            errors.append(f"{name}: no deletion protection")
    # A stream record that keeps failing must neither block its shard for the stream's 24 h
    # nor vanish silently: split, bounded, and described somewhere when given up.
    for name, props in by_type("AWS::Lambda::EventSourceMapping").items():
        if "StreamArn" not in str(props.get("EventSourceArn")):
            continue
        age = props.get("MaximumRecordAgeInSeconds", -1)
        bounded = props.get("MaximumRetryAttempts", -1) >= 0 or 60 <= age < 86400
        if not (props.get("BisectBatchOnFunctionError") and bounded
                and props.get("DestinationConfig", {}).get("OnFailure")):
            errors.append(f"{name}: a stream mapping without bisect, a bound and an on-failure destination")
    for name, props in by_type("AWS::SQS::Queue").items():
        if not (props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId")):
            errors.append(f"{name}: not encrypted")
        # A FIFO queue in default mode takes 300 sends/s in all, below the API's limit.
        if props.get("FifoQueue") and "RedrivePolicy" in props and (
                props.get("DeduplicationScope") != "messageGroup"
                or props.get("FifoThroughputLimit") != "perMessageGroupId"):
            errors.append(f"{name}: FIFO queue not in high-throughput mode")

    # A backlog drained without a cap would take the concurrency the receivers need.
    for name, props in by_type("AWS::Lambda::EventSourceMapping").items():
        source = str(props["EventSourceArn"].get("GetAtt", "")).split(".")[0]
        if resources.get(source, {}).get("Type") == "AWS::SQS::Queue" and \
                "MaximumConcurrency" not in props.get("ScalingConfig", {}):
            errors.append(f"{name}: an SQS mapping without ScalingConfig.MaximumConcurrency")

    for name, props in by_type("AWS::S3::Bucket").items():
        if not props.get("BucketEncryption"):
            errors.append(f"{name}: not encrypted")
        if not all(props.get("PublicAccessBlockConfiguration", {}).values()):
            errors.append(f"{name}: public access not blocked")
    tls_only = [
        st
        for p in by_type("AWS::S3::BucketPolicy").values()
        for st in p["PolicyDocument"]["Statement"]
        if st["Effect"] == "Deny" and "aws:SecureTransport" in str(st.get("Condition"))
    ]
    if not tls_only:
        errors.append("no TLS-only bucket policy")
    for name, props in by_type("AWS::Serverless::HttpApi").items():
        route = props.get("DefaultRouteSettings", {})
        if not (route.get("ThrottlingRateLimit") and route.get("ThrottlingBurstLimit")):
            errors.append(f"{name}: no throttling")
        elif not all(isinstance(route[k], dict) and "Ref" in route[k]
                     for k in ("ThrottlingRateLimit", "ThrottlingBurstLimit")):
            errors.append(f"{name}: throttling is hard-coded; make it a parameter")
        if not props.get("AccessLogSettings"):
            errors.append(f"{name}: no access logs")

    check_samconfig(template, errors)
    grouped = [p for g in template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
               for p in g["Parameters"]]
    if sorted(grouped) != sorted(template["Parameters"]):
        errors.append("every parameter belongs to exactly one parameter group (Metadata)")
    for name, output in template.get("Outputs", {}).items():
        if "Export" not in output:
            errors.append(f"output {name} is not exported")

    if errors:
        print("template.yaml security check failed:\n  " + "\n  ".join(errors))
        sys.exit(1)
    print(
        f"template.yaml: {len(functions)} functions with roles of their own, {checked['statements']} IAM "
        "statements without wildcards; secrets, encryption, TLS, throttling and logs in place"
    )


def check_samconfig(template, errors):
    """samconfig.toml (beside the template, where SAM looks): the default, staging and prod
    environments, each its own stack, overriding only parameters the template has, never a
    credential, and no stale beta flags."""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    stacks = set()
    for env in ("default", "staging", "prod"):
        section = config.get(env)
        if not section:
            errors.append(f"samconfig.toml: no [{env}] environment")
            continue
        stacks.add(section["global"]["parameters"]["stack_name"])
        for command, params in section.items():
            if "beta_features" in params.get("parameters", {}):
                errors.append(f"samconfig.toml [{env}.{command}]: stale beta_features")
        deploy = section.get("deploy", {}).get("parameters", {})
        if env == "prod" and deploy.get("confirm_changeset") is not True:
            errors.append("samconfig.toml [prod]: confirm_changeset must be true (review before applying)")
        overrides = deploy.get("parameter_overrides", "")
        for pair in shlex.split(overrides):
            name, _, value = pair.partition("=")
            if name == "AlarmEmail" and PLACEHOLDER_EMAIL.search(value):
                errors.append(f"samconfig.toml [{env}]: AlarmEmail {value} is a placeholder")
            if name not in template.get("Parameters", {}):
                errors.append(f"samconfig.toml [{env}]: {name} is not a template parameter")
            if CREDENTIAL_NAME.search(name):
                errors.append(f"samconfig.toml [{env}]: {name} looks like a credential")
    if len(stacks) != 3:
        errors.append(f"samconfig.toml: environments must deploy distinct stacks, got {sorted(stacks)}")


# Actions that take no resource in IAM: "*" is the only way to grant them.
NO_RESOURCE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def check_statement(owner, st, errors):
    if st.get("Effect") != "Allow":
        return
    actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
    resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
    for action in actions:
        if "*" in action:
            errors.append(f"{owner}: wildcard action {action}")
    for resource in resources:
        if resource == "*" and not set(actions) <= NO_RESOURCE_ACTIONS:
            errors.append(f"{owner}: Resource '*' for {actions}")


if __name__ == "__main__":
    main()
