"""One least-privilege role per function (infra.md §6.2) and the SSM killswitches (§6.3)."""
import json

import pytest

from infra_harness import ACCOUNT, REGION, reveal

SVC = "innova-backend-serverless-prod"
FUNCTIONS = ("api", "telemetryWorker", "llmClassifierWorker", "ocrWorker", "alertGenerator", "attemptReprocessWorker")
KILLSWITCHES = ("/innova/llm/paused", "/innova/ocr/paused", "/innova/guides/grading_paused",
                "/innova/guides/solution_paused", "/innova/guides/ingest_paused", "/innova/guides/grading_cheap_mode")


def queue(suffix):
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{SVC}-{suffix}"


def parameter(name):
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"


def function_name(key):
    return SVC if key == "api" else f"{SVC}-{key}"


def logs(key):
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{function_name(key)}"
    return {action: {group, f"{group}:log-stream:*"}
            for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")}


CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")

# infra.md §6.2, written out resource by resource: action → resources it may act on.
EXPECTED = {
    "api": {
        "sqs:SendMessage": {queue(q) for q in ("attempt-stream.fifo", "llm-classify-queue", "guide-ingest-queue",
                                               "solution-generation-queue", "submission-grade-queue",
                                               "exercise-generate-queue", "adhoc-solve-queue")},
        "sqs:GetQueueAttributes": {queue(q) for q in ("guide-ingest-queue", "attempt-reprocess-queue",
                                                      "llm-classify-queue", "guide-ingest-dlq",
                                                      "attempt-reprocess-dlq", "llm-classify-dlq")},
        "s3:PutObject": {f"arn:aws:s3:::{SVC}-guides/*", "arn:aws:s3:::innova-submissions-prod/*",
                         f"arn:aws:s3:::{SVC}-ocr-uploads/uploads/*"},
        "s3:GetObject": {f"arn:aws:s3:::{SVC}-guides/*", "arn:aws:s3:::innova-submissions-prod/*"},
        "s3:DeleteObject": {f"arn:aws:s3:::{SVC}-guides/*", "arn:aws:s3:::innova-submissions-prod/*"},
        # Narrower than the spec's parameter/innova/*: exactly the killswitches the admin API uses.
        "ssm:GetParameter": {parameter(p) for p in KILLSWITCHES},
        "ssm:PutParameter": {parameter(p) for p in KILLSWITCHES},
    },
    "telemetryWorker": {
        **{action: {queue("attempt-stream.fifo")} for action in CONSUME},
        "s3:PutObject": {f"arn:aws:s3:::{SVC}-raw-events-lake/attempt_events/*"},
    },
    "llmClassifierWorker": {
        **{action: {queue("llm-classify-queue")} for action in CONSUME},
        "ssm:GetParameter": {parameter("/innova/llm/paused")},
    },
    "ocrWorker": {
        "s3:GetObject": {f"arn:aws:s3:::{SVC}-ocr-uploads/uploads/*"},
        "sqs:SendMessage": {queue("attempt-reprocess-queue")},
        "ssm:GetParameter": {parameter("/innova/ocr/paused")},
    },
    "alertGenerator": {},
    "attemptReprocessWorker": {
        **{action: {queue("attempt-reprocess-queue")} for action in CONSUME},
        "sqs:SendMessage": {queue("llm-classify-queue")},
    },
}


def statements(deployment, key):
    document = json.loads(deployment.get("aws:iam/rolePolicy:RolePolicy", f"{key}Policy").inputs["policy"])
    assert document["Version"] == "2012-10-17"
    return document["Statement"]


def granted(deployment, key):
    """action → resources, over all statements of the function's policy."""
    result = {}
    for statement in statements(deployment, key):
        assert statement["Effect"] == "Allow"
        assert set(statement) == {"Effect", "Action", "Resource"}  # no NotAction/NotResource/conditions
        for action in statement["Action"]:
            result.setdefault(action, set()).update(statement["Resource"])
    return result


@pytest.mark.parametrize("key", FUNCTIONS)
def test_each_policy_grants_exactly_what_the_function_needs(deployment, key):
    assert granted(deployment, key) == {**EXPECTED[key], **logs(key)}


@pytest.mark.parametrize("key", FUNCTIONS)
def test_no_wildcard_action_service_or_resource(deployment, key):
    for statement in statements(deployment, key):
        for action in statement["Action"]:
            assert "*" not in action and "?" not in action, action
        for resource in statement["Resource"]:
            assert resource != "*"
            # A wildcard may only end an object-key prefix or a log-stream name of a named resource.
            if "*" in resource:
                assert resource.count("*") == 1 and resource.endswith(("/*", ":log-stream:*")), resource
                assert ":*:" not in resource and "::*" not in resource
                assert resource.startswith((f"arn:aws:s3:::{SVC}-", "arn:aws:s3:::innova-submissions-prod/",
                                            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{SVC}")), resource


def test_one_role_per_function_assumable_by_lambda_only(deployment):
    roles = {r.name: r for r in deployment.of_type("aws:iam/role:Role")}
    assert set(roles) == {f"{key}Role" for key in FUNCTIONS}
    for key in FUNCTIONS:
        role = roles[f"{key}Role"].inputs
        assert role["name"] == function_name(key)
        assert "managedPolicyArns" not in role  # no AWS-managed policy widening the grants
        trust = json.loads(role["assumeRolePolicy"])
        assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                       "Action": "sts:AssumeRole"}]
        function = deployment.get("aws:lambda/function:Function", key)
        assert function.inputs["role"] == roles[f"{key}Role"].state["arn"]
        policy = deployment.get("aws:iam/rolePolicy:RolePolicy", f"{key}Policy")
        assert policy.inputs["role"] == role["name"]
    assert len(deployment.of_type("aws:iam/rolePolicy:RolePolicy")) == len(FUNCTIONS)
    assert deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_killswitch_parameters_start_false_and_ignore_later_toggles(deployment):
    parameters = deployment.of_type("aws:ssm/parameter:Parameter")
    assert sorted(p.inputs["name"] for p in parameters) == sorted(KILLSWITCHES)
    for p in parameters:
        assert (p.inputs["type"], reveal(p.inputs["value"])) == ("String", "false")
        assert p.ignore_changes == ["value"]  # operators and billing alarms own the value
