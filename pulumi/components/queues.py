"""Every SQS queue of ``resources.QUEUES`` with its dead-letter queue (infra.md §2)."""
from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from chalicelib import resources


class Queues(pulumi.ComponentResource):
    """Source queues and DLQs, by their ``resources`` key (``"llm_classify"``, ``"llm_classify_dlq"``…)."""

    def __init__(self, name: str, *, stage: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("innova:infra:Queues", name, None, opts)
        self.queues: dict[str, aws.sqs.Queue] = {}
        for spec in resources.QUEUES.values():
            redrive_policy = None
            if spec.dlq is not None:
                dlq = self._queue(spec.dlq, stage)
                # Built from the DLQ's ARN output, so the source queue is created after its DLQ.
                redrive_policy = dlq.arn.apply(
                    lambda arn, count=spec.dlq.max_receive_count: json.dumps(
                        {"deadLetterTargetArn": arn, "maxReceiveCount": count}
                    )
                )
            self._queue(spec, stage, redrive_policy)
        self.register_outputs({key: queue.url for key, queue in self.queues.items()})

    def arn(self, key: str) -> pulumi.Output[str]:
        return self.queues[key].arn

    def url(self, key: str) -> pulumi.Output[str]:
        return self.queues[key].url

    def _queue(self, spec: resources.Queue | resources.DeadLetterQueue, stage: str,
               redrive_policy: pulumi.Input[str] | None = None) -> aws.sqs.Queue:
        queue = aws.sqs.Queue(
            spec.logical_name,
            name=spec.name(stage),  # explicit: the AI engine and the clients use these names
            fifo_queue=spec.fifo,
            content_based_deduplication=getattr(spec, "content_based_deduplication", False) or None,
            visibility_timeout_seconds=spec.visibility_timeout_seconds,
            message_retention_seconds=spec.retention_seconds,
            sqs_managed_sse_enabled=True,
            redrive_policy=redrive_policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.queues[spec.key] = queue
        return queue
