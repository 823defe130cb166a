"""Queue depths for the admin status page: SQS ``GetQueueAttributes``, never raising.

The depth is ``ApproximateNumberOfMessages`` (visible messages); the DLQ is found through the
queue's ``RedrivePolicy`` (same account and region, so its URL is the queue URL with the DLQ's name).
``-1`` means unknown: the URL is unset or a call failed. Queues are read concurrently, so the page
costs one SQS round trip pair, not one per queue.
"""
from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib import aws

log = logging.getLogger(__name__)

UNKNOWN = -1


@dataclass(frozen=True)
class QueueDepth:
    depth: int
    dlq_depth: int  # 0 when the queue has no DLQ


class QueueDepthReader(Protocol):
    def depths(self, urls: dict[str, str | None]) -> dict[str, QueueDepth]: ...


class SqsQueueDepthReader:
    """Reads depths with the container's boto3 SQS client."""

    def __init__(self, client: Any | None = None):
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("sqs")
        return self._client

    def depths(self, urls: dict[str, str | None]) -> dict[str, QueueDepth]:
        """``{key: QueueDepth}`` for each ``{key: queue URL or None}``."""
        if not urls:
            return {}
        _ = self.client  # create the client once, before the threads share it
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            futures = {key: pool.submit(self._depth, url) for key, url in urls.items()}
            return {key: future.result() for key, future in futures.items()}

    def _depth(self, url: str | None) -> QueueDepth:
        if not url:
            return QueueDepth(UNKNOWN, UNKNOWN)
        try:
            attributes = self.client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "RedrivePolicy"])["Attributes"]
            depth = int(attributes.get("ApproximateNumberOfMessages", 0))
        except Exception as exc:  # noqa: BLE001 - a status page reports, it does not fail
            log.warning("queue depth unavailable", extra={"queue_url": url, "error": str(exc)})
            return QueueDepth(UNKNOWN, UNKNOWN)
        return QueueDepth(depth, self._dlq_depth(url, attributes.get("RedrivePolicy")))

    def _dlq_depth(self, url: str, redrive_policy: str | None) -> int:
        if not redrive_policy:
            return 0
        try:
            dlq_name = json.loads(redrive_policy)["deadLetterTargetArn"].rsplit(":", 1)[1]
            dlq_url = f"{url.rsplit('/', 1)[0]}/{dlq_name}"
            attributes = self.client.get_queue_attributes(
                QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            return int(attributes.get("ApproximateNumberOfMessages", 0))
        except Exception as exc:  # noqa: BLE001
            log.warning("dead-letter queue depth unavailable", extra={"queue_url": url, "error": str(exc)})
            return UNKNOWN
