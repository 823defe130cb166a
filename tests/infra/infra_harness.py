"""Pulumi mocks that record every resource the program registers (no CLI, no cloud, no network).

Imported by this folder's conftest.py and tests (a uniquely named module: a top-level
``conftest`` import could resolve to another folder's conftest).
"""
from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PROGRAM_DIR = REPO / "pulumi"
for _path in (str(REPO), str(PROGRAM_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import pulumi  # noqa: E402  (after the path set-up: the program's modules live in pulumi/)
from pulumi.runtime.mocks import MockMonitor  # noqa: E402

PROJECT = "innova-serverless"
ACCOUNT = "123456789012"
REGION = "us-east-1"
CERTIFICATE_ARN = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
REST_API_ID = "abc123defg"
DOMAIN_TARGET = "d-x1y2z3w4v5.execute-api.us-east-1.amazonaws.com"
SECRETS = {
    "databaseUrl": "postgresql://innova:pw@pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1",
    "mongodbUri": "mongodb+srv://innova:pw@cluster0.mongodb.net/innova",
    "supabaseServiceRoleKey": "service-role-key",
    "supabaseJwtSecret": "jwt-secret",
    "anthropicApiKey": "sk-ant-test",
    "geminiApiKey": "AIzaTest",
    "resendApiKey": "re_test",
}
OPERATOR_VALUES = {
    "apiCertificateArn": CERTIFICATE_ARN,
    "supabaseUrl": "https://project-ref.supabase.co",
}


# Pulumi's wire encoding of a secret value: {SIG_KEY: SECRET_SIG, "value": ...}. The mocks keep it,
# so a test can tell that a value will be encrypted in the state.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def is_secret(value) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def reveal(value):
    """The plain value of a possibly secret input."""
    return value["value"] if is_secret(value) else value


@dataclass
class Registered:
    """One resource as the program registered it."""

    type: str
    name: str
    urn: str
    inputs: dict
    state: dict
    protect: bool
    ignore_changes: list[str]
    dependencies: list[str]
    parent: str


class Deployment:
    """The registered resources and the stack outputs of one mocked program run."""

    def __init__(self, resources: list[Registered], outputs: dict) -> None:
        self.resources = resources
        self.outputs = outputs

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def get(self, type_: str, name: str) -> Registered:
        (match,) = [r for r in self.of_type(type_) if r.name == name]
        return match

    def by_urn(self, urn: str) -> Registered:
        (match,) = [r for r in self.resources if r.urn == urn]
        return match


class StackMocks(pulumi.runtime.Mocks):
    """Answers like AWS would: physical names from inputs, ARNs and URLs derived from them."""

    def __init__(self) -> None:
        self.inputs: dict[tuple[str, str], dict] = {}
        self.states: dict[tuple[str, str], dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        state = {**inputs, **_computed_state(args.typ, args.name, inputs)}
        self.inputs[(args.typ, args.name)] = inputs
        self.states[(args.typ, args.name)] = state
        return state.pop("id", f"{args.name}-id"), state

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "AIDATEST",
                    "id": ACCOUNT}
        raise AssertionError(f"unexpected invoke {args.token}")


def _computed_state(type_: str, name: str, inputs: dict) -> dict:
    if type_ == "aws:sqs/queue:Queue":
        queue = inputs["name"]
        url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{queue}"
        return {"id": url, "url": url, "arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"}
    if type_ == "aws:s3/bucket:Bucket":
        return {"id": inputs["bucket"], "arn": f"arn:aws:s3:::{inputs['bucket']}"}
    if type_ == "aws:lambda/function:Function":
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{inputs['name']}"
        return {"id": inputs["name"], "arn": arn,
                "invokeArn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"}
    if type_ == "aws:iam/role:Role":
        return {"id": inputs["name"], "arn": f"arn:aws:iam::{ACCOUNT}:role/{inputs['name']}"}
    if type_ == "aws:cloudwatch/logGroup:LogGroup":
        return {"id": inputs["name"], "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{inputs['name']}"}
    if type_ == "aws:cloudwatch/eventRule:EventRule":
        return {"id": inputs["name"], "arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{inputs['name']}"}
    if type_ == "aws:apigateway/restApi:RestApi":
        return {"id": REST_API_ID, "rootResourceId": "rootres01",
                "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{REST_API_ID}"}
    if type_ == "aws:apigateway/resource:Resource":
        return {"id": "proxyres01"}
    if type_ == "aws:apigateway/deployment:Deployment":
        return {"id": "deploy01"}
    if type_ == "aws:apigateway/stage:Stage":
        return {"invokeUrl": f"https://{inputs['restApi']}.execute-api.{REGION}.amazonaws.com/{inputs['stageName']}"}
    if type_ == "aws:apigateway/domainName:DomainName":
        return {"id": inputs["domainName"], "regionalDomainName": DOMAIN_TARGET, "regionalZoneId": "Z1UJRXOUMOOFQ8"}
    if type_ == "aws:s3/bucketObjectv2:BucketObjectv2":
        return {"id": inputs["key"]}
    return {}


class RecordingMonitor(MockMonitor):
    """Also keeps the options of each registration (protect, ignoreChanges, dependencies)."""

    def __init__(self, mocks: StackMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[tuple] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append((request.type, request.name, response.urn, bool(request.protect),
                                       list(request.ignoreChanges), list(request.dependencies), request.parent))
        return response


def stack_config_values(stack: str) -> dict[str, str]:
    """The committed ``Pulumi.<stack>.yaml`` config as the engine hands it to the program."""
    document = yaml.safe_load((PROGRAM_DIR / f"Pulumi.{stack}.yaml").read_text())
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in document["config"].items()}


def configure(values: dict[str, str], secret_keys: list[str]) -> None:
    pulumi.runtime.set_all_config(values, secret_keys)


def operator_config(stack: str, **extra: str) -> tuple[dict[str, str], list[str]]:
    """Committed config + what an operator sets (certificate, URLs, every secret as a secret)."""
    values = stack_config_values(stack)
    values.update({f"{PROJECT}:{k}": v for k, v in {**OPERATOR_VALUES, **SECRETS, **extra}.items()})
    return values, [f"{PROJECT}:{k}" for k in SECRETS]


def run_program(stack: str, values: dict[str, str], secret_keys: list[str]) -> Deployment:
    """Run the whole program once under the mocks with this configuration."""
    mocks = StackMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    configure(values, secret_keys)

    import program
    import stack_config

    outputs: dict = {}

    @pulumi.runtime.test
    def run():
        config = stack_config.load()
        stack_outputs = program.deploy(config, program.deployment_artifact(config))
        return pulumi.Output.all(**stack_outputs).apply(outputs.update)

    with warnings.catch_warnings():
        # pulumi_aws warns about its own deprecated classes as its service modules load.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_aws(\.|$)")
        run()
    registered = [
        Registered(type_, name, urn, mocks.inputs[(type_, name)], mocks.states[(type_, name)], protect,
                   ignore_changes, dependencies, parent)
        for type_, name, urn, protect, ignore_changes, dependencies, parent in monitor.registrations
    ]
    return Deployment(registered, outputs)
