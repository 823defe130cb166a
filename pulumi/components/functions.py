"""The six Lambda functions from the one Chalice artifact, their log groups and their triggers.

Pulumi, not ``chalice deploy``, creates the functions and every trigger (DECISIONS.md §6): Chalice
cannot set ``ReportBatchItemFailures`` on an SQS mapping (without it a returned failure list is
ignored and the whole batch is deleted), and it writes S3 notifications with a direct API call that
would fight this stack's notification. Handler strings are ``app.<attribute>`` of ``app.py``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from chalicelib import resources

from .iam import FunctionRoles
from .queues import Queues
from .storage import Storage

RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"


@dataclass(frozen=True)
class Code:
    """Where the deployment zip lives in S3, and its base64 SHA-256."""

    bucket: pulumi.Input[str]
    key: pulumi.Input[str]
    sha256_base64: str


class Functions(pulumi.ComponentResource):
    """``functions[key]`` for every function of ``resources.FUNCTIONS``, with ``log_groups`` and the
    trigger resources (``event_source_mappings``, ``permissions``, ``bucket_notifications``,
    ``schedule_rules``). HTTP triggers are wired by the API component."""

    def __init__(self, name: str, *, stage: str, functions: Mapping[str, resources.Function], roles: FunctionRoles,
                 code: Code, settings: Mapping[str, pulumi.Input[str]], queues: Queues, storage: Storage,
                 account_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("innova:infra:Functions", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        self.functions: dict[str, aws.lambda_.Function] = {}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        self.event_source_mappings: dict[str, aws.lambda_.EventSourceMapping] = {}
        self.permissions: dict[str, aws.lambda_.Permission] = {}
        self.bucket_notifications: dict[str, aws.s3.BucketNotification] = {}
        self.schedule_rules: dict[str, aws.cloudwatch.EventRule] = {}

        s3_subscribers: dict[str, list[tuple[resources.Function, resources.S3Trigger]]] = defaultdict(list)
        for key, spec in functions.items():
            function = self._function(spec, stage, roles, code, settings)
            trigger = spec.trigger
            if isinstance(trigger, resources.SqsTrigger):
                self._sqs_trigger(spec, trigger, function, queues, roles.policies[key])
            elif isinstance(trigger, resources.S3Trigger):
                s3_subscribers[trigger.bucket].append((spec, trigger))
            elif isinstance(trigger, resources.ScheduleTrigger):
                self._schedule_trigger(spec, trigger, function, stage)
        for bucket, subscribers in s3_subscribers.items():
            self._bucket_notification(bucket, subscribers, storage, account_id)
        self.register_outputs({key: f.name for key, f in self.functions.items()})

    def _function(self, spec: resources.Function, stage: str, roles: FunctionRoles, code: Code,
                  settings: Mapping[str, pulumi.Input[str]]) -> aws.lambda_.Function:
        name = spec.name(stage)
        # Created first so Lambda never auto-creates it without a retention (infra.md §5).
        log_group = aws.cloudwatch.LogGroup(
            f"{spec.key}Logs",
            name=f"/aws/lambda/{name}",
            retention_in_days=resources.LOG_RETENTION_DAYS,
            opts=self._child,
        )
        # Only the variables this function reads: a worker never sees the API's secrets (infra.md §7.2).
        variables = {setting: settings[setting] for setting in spec.env if setting in settings}
        function = aws.lambda_.Function(
            spec.key,
            name=name,
            role=roles.roles[spec.key].arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=f"app.{spec.handler}",
            timeout=spec.timeout_seconds,
            memory_size=spec.memory_mb,
            s3_bucket=code.bucket,
            s3_key=code.key,
            source_code_hash=code.sha256_base64,
            environment={"variables": variables},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, roles.policies[spec.key]]),
        )
        self.functions[spec.key] = function
        self.log_groups[spec.key] = log_group
        return function

    def _sqs_trigger(self, spec: resources.Function, trigger: resources.SqsTrigger, function: aws.lambda_.Function,
                     queues: Queues, policy: aws.iam.RolePolicy) -> None:
        self.event_source_mappings[spec.key] = aws.lambda_.EventSourceMapping(
            f"{spec.key}Trigger",
            event_source_arn=queues.arn(trigger.queue),
            function_name=function.arn,
            batch_size=trigger.batch_size,
            # Not supported on FIFO queues; 0 would still be sent, so leave it unset there.
            maximum_batching_window_in_seconds=trigger.max_batching_window_seconds or None,
            function_response_types=["ReportBatchItemFailures"] if trigger.report_batch_item_failures else None,
            enabled=True,
            # Lambda checks the role can read the queue when the mapping is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _schedule_trigger(self, spec: resources.Function, trigger: resources.ScheduleTrigger,
                          function: aws.lambda_.Function, stage: str) -> None:
        rule = aws.cloudwatch.EventRule(
            f"{spec.key}Schedule",
            name=spec.name(stage),
            description=f"Runs {spec.key} on {trigger.expression}",
            schedule_expression=trigger.expression,
            state="ENABLED",
            opts=self._child,
        )
        permission = aws.lambda_.Permission(
            f"{spec.key}SchedulePermission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(
            f"{spec.key}ScheduleTarget",
            rule=rule.name,
            arn=function.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        self.schedule_rules[spec.key] = rule
        self.permissions[spec.key] = permission

    def _bucket_notification(self, bucket_key: str, subscribers: list[tuple[resources.Function, resources.S3Trigger]],
                             storage: Storage, account_id: pulumi.Input[str]) -> None:
        """One notification resource per bucket: S3 keeps a single configuration per bucket, so this
        stack is its only owner (infra.md §3)."""
        permissions = []
        for spec, _ in subscribers:
            permission = aws.lambda_.Permission(
                f"{spec.key}BucketPermission",
                action="lambda:InvokeFunction",
                function=self.functions[spec.key].name,
                principal="s3.amazonaws.com",
                source_arn=storage.arn(bucket_key),
                source_account=account_id,  # bucket ARNs carry no account: pin the owner
                opts=self._child,
            )
            self.permissions[spec.key] = permission
            permissions.append(permission)
        self.bucket_notifications[bucket_key] = aws.s3.BucketNotification(
            f"{resources.BUCKETS[bucket_key].logical_name}Notification",
            bucket=storage.buckets[bucket_key].id,
            lambda_functions=[
                {"lambda_function_arn": self.functions[spec.key].arn, "events": list(trigger.events)}
                for spec, trigger in subscribers
            ],
            # S3 test-invokes the function when the notification is saved: the permission must exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=permissions),
        )
