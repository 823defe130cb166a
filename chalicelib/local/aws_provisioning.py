"""Create every queue and bucket of ``chalicelib/resources.py`` on a local AWS endpoint (moto).

The same definitions the Pulumi program deploys: names, FIFO and content-based dedup, visibility
timeouts, retention, DLQs with their redrive policies, bucket CORS and lifecycle rules.
Idempotent: creating what exists returns the existing URL.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from chalicelib.resources import BUCKETS, REGION, DeadLetterQueue, Queue, all_queues


@dataclass
class ProvisionedResources:
    queue_urls: dict[str, str] = field(default_factory=dict)  # key (DLQs included) → URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    bucket_names: dict[str, str] = field(default_factory=dict)


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


def provision(endpoint: str, stage: str, *, visibility_timeout_override: int | None = None) -> ProvisionedResources:
    """Create the queues (DLQs first) and buckets for ``stage``; returns their URLs and names.

    ``visibility_timeout_override`` shortens every source queue's visibility timeout (the local
    runtime uses a few seconds so that a failed message is retried, and reaches its DLQ, quickly).
    """
    sqs = _boto_client("sqs", endpoint)
    s3 = _boto_client("s3", endpoint)
    out = ProvisionedResources()
    for queue in all_queues():
        dlq_arn = None
        if isinstance(queue, Queue) and queue.dlq:
            dlq_arn = out.queue_arns[queue.dlq.key]
        attributes = _queue_attributes(queue, dlq_arn)
        if visibility_timeout_override is not None and isinstance(queue, Queue):
            attributes["VisibilityTimeout"] = str(visibility_timeout_override)
        url = sqs.create_queue(QueueName=queue.name(stage), Attributes=attributes)["QueueUrl"]
        out.queue_urls[queue.key] = url
        out.queue_arns[queue.key] = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
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
    return out
