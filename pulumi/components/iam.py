"""One least-privilege execution role per function (infra.md §6.2, DECISIONS.md §6).

Each role may do exactly what its function's code does, on the named resources only: no wildcard
action, no wildcard queue or bucket. The only ``*`` left are object-key prefixes inside one bucket
(``uploads/*``) and the log streams of the function's own log group.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from chalicelib import resources

from .queues import Queues
from .storage import Storage

CONSUME_QUEUE = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")
WRITE_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


@dataclass(frozen=True)
class Grant:
    """Actions on named resources: queue keys, (bucket key, object-key pattern) pairs, SSM names."""

    actions: tuple[str, ...]
    queues: tuple[str, ...] = ()
    objects: tuple[tuple[str, str], ...] = ()
    parameters: tuple[str, ...] = ()


_ADMIN_STATUS_QUEUES = ("guide_ingest", "attempt_reprocess", "llm_classify")

GRANTS: dict[str, tuple[Grant, ...]] = {
    "api": (
        Grant(("sqs:SendMessage",), queues=("attempt_stream", "llm_classify", "guide_ingest", "solution_gen",
                                            "submission_grade", "exercise_generate", "adhoc_solve")),
        # GET /admin/status reports these queues and their DLQs.
        Grant(("sqs:GetQueueAttributes",),
              queues=_ADMIN_STATUS_QUEUES + tuple(resources.QUEUES[k].dlq.key for k in _ADMIN_STATUS_QUEUES)),
        # Presigned PUT/GET, existence checks (HEAD needs GetObject), page-photo downloads.
        Grant(("s3:PutObject", "s3:GetObject", "s3:DeleteObject"), objects=(("guides", "*"), ("submissions", "*"))),
        # POST /attempts/photo-upload-url presigns PUTs into uploads/ (DECISIONS.md §5).
        Grant(("s3:PutObject",), objects=(("ocr_uploads", "uploads/*"),)),
        # The admin killswitches read and toggle exactly these parameters (api.md §4.14).
        Grant(("ssm:GetParameter", "ssm:PutParameter"), parameters=resources.KILLSWITCH_PARAMETERS),
    ),
    "telemetryWorker": (
        Grant(("s3:PutObject",), objects=(("raw_events", "attempt_events/*"),)),
    ),
    "llmClassifierWorker": (
        Grant(("ssm:GetParameter",), parameters=(resources.KILLSWITCH_SETTINGS["SSM_LLM_PAUSED_PARAM"],)),
    ),
    "ocrWorker": (
        Grant(("s3:GetObject",), objects=(("ocr_uploads", "uploads/*"),)),
        Grant(("sqs:SendMessage",), queues=("attempt_reprocess",)),
        Grant(("ssm:GetParameter",), parameters=(resources.KILLSWITCH_SETTINGS["SSM_OCR_PAUSED_PARAM"],)),
    ),
    "alertGenerator": (),
    "attemptReprocessWorker": (
        Grant(("sqs:SendMessage",), queues=("llm_classify",)),
    ),
}
"""What each function's code calls, besides consuming its trigger queue and writing its logs."""


def grants_for(function: resources.Function) -> tuple[Grant, ...]:
    """All grants of a function: its own, plus consuming the queue that triggers it."""
    trigger = function.trigger
    consume = (Grant(CONSUME_QUEUE, queues=(trigger.queue,)),) if isinstance(trigger, resources.SqsTrigger) else ()
    return consume + GRANTS[function.key]


LAMBDA_ASSUME_ROLE_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
})


class FunctionRoles(pulumi.ComponentResource):
    """``roles[key]`` and its inline ``policies[key]`` for every function."""

    def __init__(self, name: str, *, stage: str, functions: Mapping[str, resources.Function], queues: Queues,
                 storage: Storage, account_id: pulumi.Input[str], region: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("innova:infra:FunctionRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.roles: dict[str, aws.iam.Role] = {}
        self.policies: dict[str, aws.iam.RolePolicy] = {}
        for key, function in functions.items():
            function_name = function.name(stage)
            role = aws.iam.Role(
                f"{key}Role",
                name=function_name,
                description=f"Execution role of {function_name} (least privilege)",
                assume_role_policy=LAMBDA_ASSUME_ROLE_POLICY,
                opts=child,
            )
            log_group = pulumi.Output.concat(
                "arn:aws:logs:", region, ":", account_id, ":log-group:/aws/lambda/", function_name
            )
            statements = [{
                "Effect": "Allow",
                "Action": list(WRITE_LOGS),
                "Resource": [log_group, pulumi.Output.concat(log_group, ":log-stream:*")],
            }]
            for grant in grants_for(function):
                statements.append({
                    "Effect": "Allow",
                    "Action": list(grant.actions),
                    "Resource": self._resource_arns(grant, queues, storage, account_id, region),
                })
            self.roles[key] = role
            self.policies[key] = aws.iam.RolePolicy(
                f"{key}Policy",
                role=role.id,
                name="least-privilege",
                policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
                opts=child,
            )
        self.register_outputs({key: role.arn for key, role in self.roles.items()})

    @staticmethod
    def _resource_arns(grant: Grant, queues: Queues, storage: Storage, account_id: pulumi.Input[str],
                       region: str) -> list[pulumi.Input[str]]:
        arns: list[pulumi.Input[str]] = [queues.arn(key) for key in grant.queues]
        arns += [pulumi.Output.concat(storage.arn(bucket), "/", pattern) for bucket, pattern in grant.objects]
        arns += [pulumi.Output.concat("arn:aws:ssm:", region, ":", account_id, ":parameter", name)
                 for name in grant.parameters]
        return arns
