#!/usr/bin/env python3
"""Alarms that reach a person, checked on the SAM-translated template (make test).

CloudFormation accepts an alarm that can never notify anyone; these rules catch it:
- every alarm notifies the alarm topic, when it fires and when it clears;
- the topic's encryption key lets CloudWatch publish: not the AWS-managed alias/aws/sns
  (whose policy excludes CloudWatch), and a customer key whose key policy, evaluated as KMS
  does (check_iam's evaluator), allows cloudwatch.amazonaws.com kms:GenerateDataKey and
  kms:Decrypt for this account;
- someone is subscribed when AlarmEmail is given, and the stack says so when it is not;
- what must be watched is watched: each receiver's errors and its deliveries stopping,
  every function's throttles, the publisher's iterator age, every dead-letter queue, the
  ack queue's oldest job, acknowledgements retried, and the ordergate metrics the alarms
  query are ones the code emits (a renamed metric would silence its alarm);
- the alarm table in docs/operations.md names every alarm (what it means, the first thing to do);
- the code's metrics are emitted into the stack's own namespace and every alarm and the
  dashboard read that one only (staging never counts in prod's alarms).
Exits non-zero with every violation listed.
"""
import pathlib
import re
import sys

import cfn
from check_iam import Request, decide

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLOUDWATCH = "cloudwatch.amazonaws.com"
STACK_NAMESPACE = "ordergate/${AWS::StackName}"


def by_type(template, kind):
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def emitted_metrics():
    """Metric names the code emits (`metrics::count("Name", ...)` and `("Name", value, unit)`)."""
    names = set()
    for path in (ROOT / "shared/src").rglob("*.rs"):
        names.update(re.findall(r'count\(\s*"([A-Za-z]+)"', path.read_text()))
        names.update(re.findall(r'\("([A-Za-z]+)", [^,]+, "(?:Milliseconds|Count)"\)', path.read_text()))
    for path in (ROOT / "functions").rglob("*.rs"):
        names.update(re.findall(r'count\(\s*"([A-Za-z]+)"', path.read_text()))
        names.update(re.findall(r'\("([A-Za-z]+)", [^,]+, "(?:Milliseconds|Count)"\)', path.read_text()))
    return names


def alarm_metrics(alarm):
    """(namespace, metric name, function) triples an alarm watches."""
    props = alarm["Properties"]
    out = []
    if "MetricName" in props:
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        out.append((props["Namespace"], props["MetricName"], dims))
    for m in props.get("Metrics", []):
        if "MetricStat" in m:
            metric = m["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            out.append((metric["Namespace"], metric["MetricName"], dims))
        for name in re.findall(r'SELECT \w+\((\w+)\) FROM SCHEMA\("?ordergate', expression_text(m)):
            out.append(("ordergate", name, {}))
    return out


def expression_text(metric):
    """A metric query's text, `!Sub` or plain."""
    expression = metric.get("Expression", "")
    return expression.get("Fn::Sub", "") if isinstance(expression, dict) else expression


def check_stack_scoped(template, alarms, errors):
    """The code's metrics are read only from this stack's namespace, and emitted into it: a
    staging stack's deliveries never count in prod's alarms or dashboard."""
    for name, function in by_type(template, "AWS::Lambda::Function").items():
        env = function["Properties"].get("Environment", {}).get("Variables", {})
        if env.get("ORDERGATE_METRICS_NAMESPACE") != {"Fn::Sub": STACK_NAMESPACE}:
            errors.append(f"{name} does not emit into {STACK_NAMESPACE} (ORDERGATE_METRICS_NAMESPACE)")
    queries = [(name, expression_text(m)) for name, a in alarms.items() for m in a["Properties"].get("Metrics", [])]
    for name, dashboard in by_type(template, "AWS::CloudWatch::Dashboard").items():
        body = dashboard["Properties"]["DashboardBody"]
        queries.append((name, body.get("Fn::Sub", "") if isinstance(body, dict) else body))
    for name, text in queries:
        for namespace in re.findall(r'SCHEMA\(("?[\w/${}:]+"?)', text) + re.findall(r"\{(\\?\"?[\w/${}:]+)", text):
            if "ordergate" in namespace and STACK_NAMESPACE not in namespace:
                errors.append(f"{name} reads {namespace}: every stack's metrics, not this stack's")


def check_topic_key(template, topic, errors):
    key = template["Resources"][topic]["Properties"].get("KmsMasterKeyId")
    if key is None:
        return  # unencrypted: CloudWatch can publish (checkov asks for encryption, though)
    if not (isinstance(key, dict) and "Ref" in key):
        errors.append(f"{topic}: key {key!r} is not a key of this stack; CloudWatch cannot use AWS-managed SNS keys")
        return
    key_props = template["Resources"][key["Ref"]]["Properties"]
    names = cfn.canonical_names(template)
    policy = cfn.Resolver(template, names).resolve(key_props["KeyPolicy"])
    cloudwatch_may = [
        st for st in policy["Statement"]
        if st.get("Principal") == "*" or CLOUDWATCH in cfn_list(st.get("Principal", {}).get("Service"))
    ]
    key_arn = names[key["Ref"]]["Arn"]
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        request = Request(action, key_arn, {"aws:SourceAccount": cfn.ACCOUNT})
        if decide(cloudwatch_may, request)[0] != "allow":
            errors.append(f"{key['Ref']}: key policy does not let CloudWatch {action}: alarms would not be delivered")


def cfn_list(v):
    return v if isinstance(v, list) else ([] if v is None else [v])


def main():
    template = cfn.translate()
    errors = []
    topics = by_type(template, "AWS::SNS::Topic")
    if len(topics) != 1:
        errors.append(f"expected one alarm topic, found {sorted(topics)}")
    topic = next(iter(topics), None)
    alarms = by_type(template, "AWS::CloudWatch::Alarm")
    watched = []
    for name, alarm in alarms.items():
        if {"Ref": topic} not in alarm["Properties"].get("AlarmActions", []):
            errors.append(f"{name}: does not notify {topic}")
        if {"Ref": topic} not in alarm["Properties"].get("OKActions", []):
            errors.append(f"{name}: does not say on {topic} when it clears (OKActions)")
        watched += alarm_metrics(alarm)
    if topic:
        check_topic_key(template, topic, errors)
        subs = [s for s in by_type(template, "AWS::SNS::Subscription").values()
                if s["Properties"]["TopicArn"] == {"Ref": topic}]
        if not subs:
            errors.append(f"{topic}: nothing subscribes to it")
        outputs = template.get("Outputs", {})
        if not any(o.get("Condition") and "no one is subscribed" in o.get("Description", "") for o in outputs.values()):
            errors.append("no stack output warns when no one is subscribed to the alarm topic")

    def watches(namespace, metric, function=None, queue=None):
        for ns, m, dims in watched:
            if ns == namespace and m == metric:
                if function and dims.get("FunctionName") != {"Ref": function}:
                    continue
                if queue and dims.get("QueueName") != {"Fn::GetAtt": [queue, "QueueName"]}:
                    continue
                return True
        return False

    functions = by_type(template, "AWS::Lambda::Function")
    def invoked_by(f):
        """Who may invoke `f` (its Lambda permissions' principals): none for stream consumers."""
        return {r["Properties"].get("Principal") for e, r in template["Resources"].items()
                if e.startswith(f) and r["Type"] == "AWS::Lambda::Permission"}

    receivers = [f for f in functions if "apigateway.amazonaws.com" in invoked_by(f)]
    for f in [f for f in functions if invoked_by(f)]:
        if not watches("AWS/Lambda", "Errors", function=f):
            errors.append(f"no alarm on {f} errors")
    for f in functions:
        if not watches("AWS/Lambda", "Throttles", function=f):
            errors.append(f"no alarm on {f} throttles")
    streams = [m["Properties"]["FunctionName"]["Ref"] for m in by_type(template, "AWS::Lambda::EventSourceMapping").values()
               if "StreamArn" in str(m["Properties"]["EventSourceArn"])]
    for f in streams:
        if not watches("AWS/Lambda", "IteratorAge", function=f):
            errors.append(f"no alarm on {f} iterator age")
    if not watches("AWS/SQS", "ApproximateAgeOfOldestMessage", queue="AckQueue"):
        errors.append("no alarm on the age of the ack queue's oldest job")
    for f in receivers:
        platform = f.removesuffix("Function")
        alarm = alarms.get(f"{platform}QuietAlarm", {})
        dims = alarm.get("Properties", {}).get("Dimensions", [])
        if alarm.get("Properties", {}).get("MetricName") != "Received" or dims != [
                {"Name": "provider", "Value": platform.lower()}]:
            errors.append(f"no alarm on {platform} deliveries stopping ({platform}QuietAlarm)")
    dead_letter = [q for q, r in by_type(template, "AWS::SQS::Queue").items() if "DeadLetter" in q]
    for q in dead_letter:
        if not watches("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue=q):
            errors.append(f"no alarm on messages in {q}")
    check_stack_scoped(template, alarms, errors)
    readme = (ROOT / "docs/operations.md").read_text()
    quiet = {f"{f.removesuffix('Function')}QuietAlarm" for f in receivers}
    for name in alarms:
        listed = "<Platform>QuietAlarm" if name in quiet else name
        if f"| `{listed}` |" not in readme:
            errors.append(f"{name}: not in docs/operations.md's alarm table (what it means, what to do)")
    emitted = emitted_metrics()
    for required in ("Misconfigured", "Quarantined", "Rejected", "AckFailed", "AckRetried", "AckRelayRefused", "AckRelaySwept"):
        if not watches("ordergate", required):
            errors.append(f"no alarm on the {required} metric")
    for ns, metric, _ in watched:
        if ns == "ordergate" and metric not in emitted:
            errors.append(f"an alarm watches ordergate metric {metric}, which the code never emits")

    if errors:
        print("alarm check failed:\n  " + "\n  ".join(errors))
        sys.exit(1)
    print(f"alarms: {len(alarms)} alarms all notify {topic}; CloudWatch may use its key; "
          f"{len(receivers)} receivers' errors, {len(functions)} functions' throttles, "
          f"{len(streams)} stream consumer(s), {len(dead_letter)} DLQs and "
          f"{len({m for ns, m, _ in watched if ns == 'ordergate'})} code metrics watched")


if __name__ == "__main__":
    main()
