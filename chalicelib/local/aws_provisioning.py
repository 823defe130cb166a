"""Create every queue and bucket of ``chalicelib/resources.py`` on a local AWS endpoint (moto).

The same definitions the Pulumi program deploys: names, FIFO and content-based dedup, visibility
timeouts, retention, DLQs with their redrive policies, bucket CORS and lifecycle rules.
Idempotent: creating what exists returns the existing URL.

With ``local_triggers=True`` (the local runtime) it also stands in for the two event sources Lambda
itself provides and moto cannot: every S3- or schedule-triggered function gets a local event queue
(:func:`local_event_queues`) that the event pump reads, the S3 notification of each triggering
bucket is pointed at its queue (created from the same ``S3Trigger`` the Pulumi program wires to
the function). :func:`provision_killswitches` creates the killswitch parameters with value
``"false"`` (as Pulumi may), so that reading them locally does not log a missing parameter.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from chalicelib.resources import (
    BUCKETS, DLQ_RETENTION_SECONDS, FUNCTIONS, KILLSWITCH_PARAMETERS, REGION, SERVICE, DeadLetterQueue, Queue, S3Trigger,
    ScheduleTrigger, all_queues,
)

LAMBDA_ASYNC_ATTEMPTS = 3
"""Lambda invokes S3- and schedule-triggered functions asynchronously: one attempt plus two retries
(the AWS default, infra.md §5.1), then the event is dropped (or sent to an on-failure target)."""


@dataclass(frozen=True)
class LocalEventQueue:
    """A local stand-in for Lambda's asynchronous event queue of one S3- or schedule-triggered function.

    S3 notifications (or scheduled events) land here; the event pump invokes the function once per
    message and deletes it on success. A message whose invocation keeps failing moves to the DLQ
    after :data:`LAMBDA_ASYNC_ATTEMPTS` receives, like an event Lambda gives up on.
    """

    key: str  # e.g. "ocr_worker_events"
    function: str  # function key, e.g. "ocrWorker"
    source: str  # "s3" or "schedule"
    max_receive_count: int = LAMBDA_ASYNC_ATTEMPTS

    @property
    def dlq_key(self) -> str:
        return f"{self.key}_dlq"

    def name(self, stage: str) -> str:
        return f"{SERVICE}-{stage}-{self.key.replace('_', '-')}"

    def dlq_name(self, stage: str) -> str:
        return f"{self.name(stage)}-dlq"


def local_event_queues() -> list[LocalEventQueue]:
    """One local event queue per S3- or schedule-triggered function of ``resources.FUNCTIONS``."""
    found = []
    for function in FUNCTIONS.values():
        if isinstance(function.trigger, (S3Trigger, ScheduleTrigger)):
            source = "s3" if isinstance(function.trigger, S3Trigger) else "schedule"
            found.append(LocalEventQueue(f"{function.handler}_events", function.key, source))
    return found


@dataclass
class ProvisionedResources:
    queue_urls: dict[str, str] = field(default_factory=dict)  # key (DLQs included) → URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    bucket_names: dict[str, str] = field(default_factory=dict)
    event_queues: dict[str, str] = field(default_factory=dict)  # function key → local event queue key


def _boto_client(service: str, endpoint: str):
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _queue_attributes(queue: Queue | DeadLetterQueue, dlq_arn: str | None) -> dict[str, str]:
    attributes = {
        "VisibilityTimeout": str(queue.visibility_timeout_seconds),
        "MessageRetentionPeriod": str(queue.retention_seconds),
    }
    if queue.fifo:
        attributes["FifoQueue"] = "true"
        if isinstance(queue, Queue) and queue.content_based_deduplication:
            attributes["ContentBasedDeduplication"] = "true"
    if dlq_arn and isinstance(queue, Queue) and queue.dlq:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.dlq.max_receive_count})
    return attributes


def provision(endpoint: str, stage: str, *, visibility_timeout_override: int | None = None,
              local_triggers: bool = False) -> ProvisionedResources:
    """Create the queues (DLQs first) and buckets for ``stage``; returns their URLs and names.

    ``visibility_timeout_override`` shortens every source queue's visibility timeout (the local
    runtime uses a few seconds so that a failed message is retried, and reaches its DLQ, quickly).
    ``local_triggers`` adds the local event queues and bucket notifications of the local runtime
    (module docstring).
    """
    sqs = _boto_client("sqs", endpoint)
    s3 = _boto_client("s3", endpoint)
    out = ProvisionedResources()
    queues = _QueueCreator(sqs)
    for queue in all_queues():
        dlq_arn = None
        if isinstance(queue, Queue) and queue.dlq:
            dlq_arn = out.queue_arns[queue.dlq.key]
        attributes = _queue_attributes(queue, dlq_arn)
        if visibility_timeout_override is not None and isinstance(queue, Queue):
            attributes["VisibilityTimeout"] = str(visibility_timeout_override)
        out.queue_urls[queue.key], out.queue_arns[queue.key] = queues.create(queue.name(stage), attributes)
    for bucket in BUCKETS.values():
        name = bucket.name(stage)
        try:
            s3.create_bucket(Bucket=name)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        if bucket.cors:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [{
                "AllowedMethods": list(bucket.cors.methods),
                "AllowedOrigins": list(bucket.cors.origins),
                "AllowedHeaders": list(bucket.cors.headers),
                "MaxAgeSeconds": bucket.cors.max_age_seconds,
            }]})
        if bucket.lifecycle:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
                "ID": bucket.lifecycle.rule_id,
                "Status": "Enabled",
                "Filter": {"Prefix": bucket.lifecycle.prefix},
                "Expiration": {"Days": bucket.lifecycle.expire_after_days},
            }]})
        out.bucket_names[bucket.key] = name
    if local_triggers:
        _provision_local_triggers(queues, s3, stage, out, visibility_timeout_override)
    return out


class _QueueCreator:
    """Creates queues and knows their ARNs without asking for each one.

    An ARN is ``arn:aws:sqs:<region>:<account>:<name>``: the prefix is read from the first queue
    created and reused, which saves one call per queue (the tests provision every queue for each
    test that uses AWS).
    """

    def __init__(self, sqs):
        self.sqs = sqs
        self._arn_prefix: str | None = None

    def create(self, name: str, attributes: dict[str, str]) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        if self._arn_prefix is None:
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._arn_prefix = arn.rsplit(":", 1)[0]
        return url, f"{self._arn_prefix}:{name}"


def _provision_local_triggers(queues: _QueueCreator, s3, stage: str, out: ProvisionedResources,
                              visibility_timeout_override: int | None) -> None:
    for event_queue in local_event_queues():
        dlq_url, dlq_arn = queues.create(event_queue.dlq_name(stage), {
            "MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)})
        function = FUNCTIONS[event_queue.function]
        url, arn = queues.create(event_queue.name(stage), {
            # Lambda keeps an event for up to 6 hours (maximum event age). The visibility timeout
            # is the delay before a failed event is retried (Lambda waits 1, then 2 minutes).
            "VisibilityTimeout": str(visibility_timeout_override or function.timeout_seconds),
            "MessageRetentionPeriod": str(6 * 3600),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": event_queue.max_receive_count}),
        })
        out.queue_urls[event_queue.dlq_key], out.queue_arns[event_queue.dlq_key] = dlq_url, dlq_arn
        out.queue_urls[event_queue.key], out.queue_arns[event_queue.key] = url, arn
        out.event_queues[event_queue.function] = event_queue.key
    for bucket in BUCKETS.values():
        subscribers = [f for f in FUNCTIONS.values()
                       if isinstance(f.trigger, S3Trigger) and f.trigger.bucket == bucket.key]
        if not subscribers:
            continue
        # S3 keeps one notification configuration per bucket: write all of its subscribers at once.
        s3.put_bucket_notification_configuration(Bucket=out.bucket_names[bucket.key], NotificationConfiguration={
            "QueueConfigurations": [{
                "Id": f"{function.key}-local",
                "QueueArn": out.queue_arns[out.event_queues[function.key]],
                "Events": list(function.trigger.events),
            } for function in subscribers]})


def provision_killswitches(endpoint: str) -> None:
    """Every killswitch parameter with value ``"false"``; a value already set is kept.

    Separate from :func:`provision` because moto's SSM backend takes seconds to load on its first
    call: the local runtime runs this in the background.
    """
    ssm = _boto_client("ssm", endpoint)
    for name in KILLSWITCH_PARAMETERS:
        try:
            ssm.put_parameter(Name=name, Value="false", Type="String", Overwrite=False)
        except ssm.exceptions.ParameterAlreadyExists:
            pass  # an operator's flip survives
