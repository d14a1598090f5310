#!/usr/bin/env python3
"""IAM, checked both ways against what the code does (make test).

The emulator enforces no IAM: a call the deployed role does not allow passes every local
test and fails on AWS. This check closes that gap without an AWS account:

1. The template is translated by the real SAM translator (cfn.translate) into the
   CloudFormation that `sam deploy` creates, with each function's generated role.
2. Every AWS request each function's code made during the integration tests was recorded
   (tests/src/iam.rs: function, operation, resources, DynamoDB partition keys). Each is
   turned into the IAM request(s) AWS evaluates — a TransactWriteItems is one PutItem /
   UpdateItem / ConditionCheckItem / DeleteItem per item; S3 is checked on the object ARN;
   DynamoDB carries `dynamodb:LeadingKeys` — plus what AWS does with the function's role on
   its behalf: the event source mappings' polling, their failure destinations, the
   dead-letter queue of asynchronous invocations, and logs.
3. Each request is evaluated as IAM does (explicit deny > allow > implicit deny; action and
   resource wildcards; conditions incl. ForAllValues/ForAnyValue and missing keys) against
   the role's inline and managed policies. A denied request fails the check.
4. Least privilege: every (action, resource) a role allows must be needed by at least one
   request, and no allowed action may be a wildcard. A grant nothing uses fails the check.
   So does a function with no recorded request (its tests would not exercise its role).

Usage: check_iam.py CALLS.jsonl [TEMPLATE]   (make test records the calls and runs this)
"""
import fnmatch
import json
import pathlib
import sys
from collections import defaultdict

import cfn

# AWS managed policies SAM attaches by ARN (their documents as AWS publishes them).
MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }],
}

# What the Lambda service does with a function's role for an event source (AWS Lambda
# developer guide, "execution role permissions" of each event source).
SOURCE_ACTIONS = {
    "AWS::SQS::Queue": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
    "AWS::DynamoDB::Table": ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                             "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
}
DESTINATION_ACTIONS = {"AWS::SQS::Queue": ["sqs:SendMessage"], "AWS::SNS::Topic": ["sns:Publish"]}
TRANSACT_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem",
                         "ConditionCheck": "ConditionCheckItem", "Delete": "DeleteItem"}
# SQS batch operations are authorized as their single-message action (AWS SQS API
# reference, "Actions, resources, and condition keys for Amazon SQS").
SQS_BATCH_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                     "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


class Request:
    """One IAM authorization request: action, resource ARN, condition context."""

    def __init__(self, action, resource, context=None, source="code"):
        self.action, self.resource, self.context, self.source = action, resource, context or {}, source

    def key(self):
        return (self.action, self.resource, json.dumps(self.context, sort_keys=True))

    def __str__(self):
        ctx = f" {self.context}" if self.context else ""
        return f"{self.action} on {self.resource}{ctx} ({self.source})"


# ---- IAM evaluation -------------------------------------------------------------------

def as_list(v):
    return v if isinstance(v, list) else [v]


def like(pattern, value, case_insensitive=False):
    if case_insensitive:
        pattern, value = pattern.lower(), value.lower()
    # IAM wildcards: * and ? only (fnmatch would also treat [ ] as a class).
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def matches_any(patterns, value, case_insensitive=False):
    return any(like(p, value, case_insensitive) for p in as_list(patterns))


OPERATORS = {
    "StringEquals": lambda want, have: have == want,
    "StringNotEquals": lambda want, have: have != want,
    "StringLike": lambda want, have: like(want, have),
    "StringNotLike": lambda want, have: not like(want, have),
    "ArnEquals": lambda want, have: have == want,
    "ArnLike": lambda want, have: like(want, have),
    "Bool": lambda want, have: str(have).lower() == str(want).lower(),
}
NEGATED = {"StringNotEquals", "StringNotLike"}


def condition_holds(operator, key, wanted, context):
    """One condition key of one operator, with IAM's rules for sets and missing keys."""
    wanted = [str(w) for w in as_list(wanted)]
    if operator == "Null":
        return (key not in context) == (str(wanted[0]).lower() == "true")
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base not in OPERATORS:
        raise SystemExit(f"check_iam: condition operator {operator} is not implemented")
    test = OPERATORS[base]

    def one(value):
        results = [test(w, value) for w in wanted]
        return all(results) if base in NEGATED else any(results)

    if key not in context:
        if qualifier == "ForAllValues":
            return True  # vacuously true: the classic trap, evaluated as AWS does
        return if_exists or base in NEGATED and qualifier == ""
    values = [str(v) for v in as_list(context[key])]
    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values)
    if len(values) != 1:
        raise SystemExit(f"check_iam: {operator} on multi-valued key {key}")
    return one(values[0])


def statement_applies(st, req):
    if "Action" in st and not matches_any(st["Action"], req.action, True):
        return False
    if "NotAction" in st and matches_any(st["NotAction"], req.action, True):
        return False
    if "Resource" in st and not matches_any(st["Resource"], req.resource):
        return False
    if "NotResource" in st and matches_any(st["NotResource"], req.resource):
        return False
    for operator, keys in st.get("Condition", {}).items():
        for key, wanted in keys.items():
            if not condition_holds(operator, key, wanted, req.context):
                return False
    return True


def decide(statements, req):
    applicable = [st for st in statements if statement_applies(st, req)]
    if any(st["Effect"] == "Deny" for st in applicable):
        return "explicit deny", applicable
    if any(st["Effect"] == "Allow" for st in applicable):
        return "allow", applicable
    return "implicit deny", applicable


# ---- the template's roles ----------------------------------------------------------------

def role_statements(template, resolver, function):
    """Every statement of `function`'s execution role (inline and managed), resolved."""
    role_name = getattr_target(template["Resources"][function]["Properties"]["Role"])
    role = resolver.resolve(template["Resources"][role_name]["Properties"])
    statements = []
    for policy in role.get("Policies", []):
        for st in as_list(policy["PolicyDocument"]["Statement"]):
            statements.append(dict(st, _policy=policy["PolicyName"]))
    # Policies of their own that name the role (AWS::IAM::Policy).
    for r in template["Resources"].values():
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_name} in r["Properties"]["Roles"]:
            policy = resolver.resolve(r["Properties"])
            for st in as_list(policy["PolicyDocument"]["Statement"]):
                statements.append(dict(st, _policy=policy["PolicyName"]))
    for arn in role.get("ManagedPolicyArns", []):
        if arn not in MANAGED:
            raise SystemExit(f"check_iam: {function} has managed policy {arn}, whose document is unknown here")
        statements.extend(dict(st, _policy=arn) for st in MANAGED[arn])
    return statements


def getattr_target(node):
    """The logical id a `Fn::GetAtt` names (list or dotted form)."""
    arg = node["Fn::GetAtt"]
    return arg[0] if isinstance(arg, list) else arg.split(".")[0]


def service_requests(template, resolver, names, function):
    """What AWS does with the function's role on its behalf."""
    requests = []
    for logical, r in template["Resources"].items():
        if r["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        props = r["Properties"]
        if props["FunctionName"] != {"Ref": function}:
            continue
        source = getattr_target(props["EventSourceArn"])
        source_arn = resolver.resolve(props["EventSourceArn"])
        for action in SOURCE_ACTIONS[template["Resources"][source]["Type"]]:
            requests.append(Request(action, source_arn, source=f"event source {logical}"))
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if on_failure:
            target = getattr_target(on_failure)
            arn = resolver.resolve(on_failure)
            for action in DESTINATION_ACTIONS[template["Resources"][target]["Type"]]:
                requests.append(Request(action, arn, source=f"failure destination of {logical}"))
    # An asynchronously invoked function's failed events go to its dead-letter queue.
    dead_letter = template["Resources"][function]["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
    if dead_letter:
        requests.append(Request("sqs:SendMessage", resolver.resolve(dead_letter),
                                source="dead-letter queue of its asynchronous invocations"))
    # Lambda writes the function's logs with its role, to /aws/lambda/<function name> (the
    # template creates that group, so CreateLogGroup is not needed).
    group = f"/aws/lambda/{names[function]['Ref']}"
    stream = f"arn:aws:logs:{cfn.REGION}:{cfn.ACCOUNT}:log-group:{group}:log-stream:2026/01/01/[$LATEST]0"
    requests += [
        Request("logs:CreateLogStream", stream, source="Lambda logging"),
        Request("logs:PutLogEvents", stream, source="Lambda logging"),
    ]
    # Active tracing: Lambda sends the function's trace segments with its role.
    tracing = resolver.resolve(template["Resources"][function]["Properties"].get("TracingConfig", {}))
    if tracing.get("Mode") == "Active":
        requests += [Request(a, "*", source="active tracing")
                     for a in ("xray:PutTraceSegments", "xray:PutTelemetryRecords")]
    return requests


# ---- recorded calls → IAM requests -------------------------------------------------------

class UnknownResource(Exception):
    pass


def arn_of(names, ref, attr="Arn"):
    if ref.get("Ref") not in names:
        raise UnknownResource(f"{ref.get('Ref') or ref.get('Physical')!r} is not a resource of the template")
    return names[ref["Ref"]][attr]


def requests_for(call, names):
    service, op = call["service"], call["operation"]
    if service == "dynamodb":
        out = []
        for item in call["items"]:
            action = TRANSACT_ITEM_ACTIONS.get(item["operation"], item["operation"])
            resource = arn_of(names, item["table"])
            if item.get("index"):
                resource += f"/index/{item['index']}"
            context = {"dynamodb:LeadingKeys": item["leading_keys"]} if item["leading_keys"] else {}
            out.append(Request(f"dynamodb:{action}", resource, context))
        return out
    if service == "sqs":
        return [Request(f"sqs:{SQS_BATCH_ACTIONS.get(op, op)}", arn_of(names, call["queue"]))]
    if service == "secretsmanager":
        return [Request(f"secretsmanager:{op}", arn_of(names, call["secret"], "Ref"))]
    if service == "events":
        return [Request(f"events:{op}", arn_of(names, bus)) for bus in call["buses"]]
    if service == "s3":
        bucket = arn_of(names, call["bucket"])
        return [Request(f"s3:{op}", f"{bucket}/{call['key']}" if call["key"] else bucket)]
    raise UnknownResource(f"unrecognised service {service} ({op})")


# ---- the check ---------------------------------------------------------------------------

def check(calls_path, template=cfn.TEMPLATE):
    translated = cfn.translate(template)
    names = cfn.canonical_names(translated)
    resolver = cfn.Resolver(translated, names)
    functions = [k for k, r in translated["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]

    recorded = defaultdict(dict)
    errors = []
    for line in pathlib.Path(calls_path).read_text().splitlines():
        call = json.loads(line)
        function = call["function"]
        if function not in functions:
            errors.append(f"calls recorded for {function}, which the template does not define")
            continue
        try:
            for req in requests_for(call, names):
                recorded[function].setdefault(req.key(), req)
        except UnknownResource as e:
            errors.append(f"{function}: {call['service']}:{call['operation']}: {e}")

    rows = []
    for function in functions:
        statements = role_statements(translated, resolver, function)
        requests = list(recorded[function].values()) + service_requests(translated, resolver, names, function)
        if not recorded[function]:
            errors.append(f"{function}: no AWS call recorded; its role is unchecked (add a test that runs it)")
        used = defaultdict(set)  # statement index → (action pattern, resource pattern) used
        for req in requests:
            decision, applicable = decide(statements, req)
            if decision != "allow":
                errors.append(f"{function}: {decision}: {req}")
            for st in applicable:
                if st["Effect"] == "Allow":
                    i = statements.index(st)
                    for a in as_list(st.get("Action", [])):
                        for r in as_list(st.get("Resource", [])):
                            if like(a.lower(), req.action.lower()) and like(r, req.resource):
                                used[i].add((a, r))
        grants = 0
        for i, st in enumerate(statements):
            if st["Effect"] != "Allow":
                continue
            for a in as_list(st.get("Action", [])):
                if "*" in a or "?" in a:
                    errors.append(f"{function}: wildcard action {a} ({st['_policy']}): grant exact actions")
                for r in as_list(st.get("Resource", [])):
                    grants += 1
                    if (a, r) not in used[i]:
                        errors.append(f"{function}: {a} on {r} is granted ({st['_policy']}) "
                                      "but no recorded call needs it: remove it, or add the test that does")
        code = len(recorded[function])
        rows.append((function, code, len(requests) - code, grants))

    print(f"{'function':<22} {'code calls':>10} {'by AWS':>7} {'grants':>7}")
    for function, code, service, grants in rows:
        print(f"{function:<22} {code:>10} {service:>7} {grants:>7}")
    return errors


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    errors = check(*sys.argv[1:])
    if errors:
        print(f"\nIAM check failed ({len(errors)}):", file=sys.stderr)
        for e in sorted(set(errors)):
            print(f"  - {e}", file=sys.stderr)
        sys.exit(1)
    print("IAM check: every recorded call is allowed, every grant is used")


if __name__ == "__main__":
    main()
