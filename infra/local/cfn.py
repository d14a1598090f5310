"""Reading template.yaml as CloudFormation does, for the local scripts and checks.

- `load()`: the template with short-form tags (!Ref, !Sub ...) as plain data.
- `translate()`: the plain CloudFormation that SAM deploys (the real SAM translator, offline),
  with every function's generated role and policies.
- `Resolver`: evaluates intrinsic functions (Ref, GetAtt, Sub, If, Join, Select, Split,
  conditions) given how each resource is named: by the local emulator's physical names
  (bootstrap) or by canonical ARNs in a fixed account and region (the IAM check).
"""
import copy
import os
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = "ordergate"


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !GetAtt, !Sub ...) as plain data."""


def _cfn_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load(path=TEMPLATE):
    return yaml.load(pathlib.Path(path).read_text(), Loader=CfnLoader)


def translate(path=TEMPLATE):
    """The SAM-translated template (AWS::Serverless::* expanded, roles generated)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        """The template names no managed policies; SAM adds the basic execution role by ARN."""

        def load(self):
            return {}

    template = yaml_parse(pathlib.Path(path).read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            # What `sam package` puts there; the translator insists on an S3 URI.
            resource["Properties"]["CodeUri"] = "s3://ordergate-artifacts/code.zip"
    return transform(template, {}, NoManagedPolicies())


def canonical_names(template):
    """Each resource's Ref and attributes in account ACCOUNT, region REGION: what AWS would
    return for them, with the logical id as the physical name."""
    names = {}
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    for logical, r in template["Resources"].items():
        kind, props = r["Type"], r.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            table = arn.format("dynamodb", f"table/{logical}")
            names[logical] = {"Ref": logical, "Arn": table,
                              "StreamArn": f"{table}/stream/2026-01-01T00:00:00.000"}
        elif kind == "AWS::SQS::Queue":
            name = logical + (".fifo" if props.get("FifoQueue") else "")
            names[logical] = {"Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
                              "Arn": arn.format("sqs", name), "QueueName": name}
        elif kind == "AWS::S3::Bucket":
            names[logical] = {"Ref": logical.lower(), "Arn": f"arn:aws:s3:::{logical.lower()}"}
        elif kind == "AWS::SecretsManager::Secret":
            names[logical] = {"Ref": arn.format("secretsmanager", f"secret:{logical}-AbCdEf")}
        elif kind == "AWS::KMS::Key":
            names[logical] = {"Ref": logical, "Arn": arn.format("kms", f"key/{logical}")}
        elif kind == "AWS::SNS::Topic":
            names[logical] = {"Ref": arn.format("sns", logical), "TopicName": logical}
        elif kind == "AWS::Lambda::Function":
            names[logical] = {"Ref": logical, "Arn": arn.format("lambda", f"function:{logical}")}
        elif kind == "AWS::IAM::Role":
            names[logical] = {"Ref": logical, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{logical}"}
        else:
            names[logical] = {"Ref": logical, "Arn": arn.format("unknown", logical)}
    resolver = Resolver(template, names)
    # Names given in properties (event bus, log groups) resolve against the others.
    for logical, r in template["Resources"].items():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::Events::EventBus":
            name = resolver.resolve(props["Name"])
            names[logical] = {"Ref": name, "Name": name, "Arn": arn.format("events", f"event-bus/{name}")}
        elif r["Type"] == "AWS::Logs::LogGroup" and "LogGroupName" in props:
            name = resolver.resolve(props["LogGroupName"])
            names[logical] = {"Ref": name, "Arn": arn.format("logs", f"log-group:{name}:*")}
        elif r["Type"] == "AWS::Lambda::Function" and "FunctionName" in props:
            name = resolver.resolve(props["FunctionName"])
            names[logical] = {"Ref": name, "Arn": arn.format("lambda", f"function:{name}")}
    return names


NO_VALUE = object()


class Resolver:
    """Evaluates intrinsic functions. `names[logical]` holds "Ref" and any attributes;
    parameters take their defaults unless `parameters` overrides them."""

    def __init__(self, template, names, parameters=None):
        self.template = template
        self.names = names
        self.parameters = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        self.parameters.update(parameters or {})
        self.pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                       "AWS::StackName": STACK, "AWS::URLSuffix": "amazonaws.com"}

    def ref(self, name):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.attribute(name, "Ref")

    def attribute(self, logical, attr):
        try:
            return self.names[logical][attr]
        except KeyError:
            raise KeyError(f"cannot resolve {logical}.{attr}") from None

    def condition(self, name):
        return bool(self.resolve(self.template["Conditions"][name]))

    def sub(self, text, variables):
        def one(m):
            key = m.group(1)
            if key in variables:
                return str(variables[key])
            if "." in key:
                return str(self.attribute(*key.split(".", 1)))
            return str(self.ref(key))
        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(self, node):
        if isinstance(node, list):
            return [v for v in (self.resolve(n) for n in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            fn = self.FUNCTIONS.get(key)
            if fn:
                return fn(self, arg)
        out = {}
        for k, v in node.items():
            v = self.resolve(v)
            if v is not NO_VALUE:
                out[k] = v
        return out

    def _get_att(self, arg):
        logical, attr = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.attribute(logical, self.resolve(attr))

    def _sub(self, arg):
        if isinstance(arg, str):
            return self.sub(arg, {})
        text, variables = arg
        return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})

    def _if(self, arg):
        name, yes, no = arg
        return self.resolve(yes if self.condition(name) else no)

    FUNCTIONS = {
        "Ref": lambda self, a: self.ref(a),
        "Fn::GetAtt": _get_att,
        "GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Sub": _sub,
        "Fn::If": _if,
        "If": _if,
        "Fn::Join": lambda self, a: a[0].join(str(x) for x in self.resolve(a[1])),
        "Fn::Select": lambda self, a: self.resolve(a[1])[int(self.resolve(a[0]))],
        "Fn::Split": lambda self, a: self.resolve(a[1]).split(a[0]),
        "Fn::Equals": lambda self, a: str(self.resolve(a[0])) == str(self.resolve(a[1])),
        "Fn::Not": lambda self, a: not self.resolve(a[0]),
        "Fn::And": lambda self, a: all(self.resolve(x) for x in a),
        "Fn::Or": lambda self, a: any(self.resolve(x) for x in a),
        "Condition": lambda self, a: self.condition(a),
    }
    for short in ("Join", "Select", "Split", "Equals", "Not", "And", "Or"):
        FUNCTIONS[short] = FUNCTIONS["Fn::" + short]


def function_environment(template, resolver, function):
    """A function's environment as deployed: Globals merged with its own variables."""
    glob = copy.deepcopy(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    own = template["Resources"][function].get("Properties", {}).get("Environment", {}).get("Variables", {})
    glob.update(own)
    return {k: str(v) for k, v in resolver.resolve(glob).items()}
