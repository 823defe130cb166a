"""Publishing to the product's queues (workers.md §0.3, §1).

Every message carries the ``trace_id`` message attribute. A queue whose URL setting is empty is
skipped with a warning (local runs without that queue); an SDK failure raises
:class:`PublishError` so that the caller decides: most API routes log and carry on
(:meth:`SqsPublisher.publish_best_effort`), the attempt service keeps an outbox.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from chalicelib.resources import QUEUES
from chalicelib.settings import Settings

log = logging.getLogger(__name__)

MAX_BATCH = 10  # SQS SendMessageBatch limit


class PublishError(RuntimeError):
    """The queue service refused or could not be reached."""


@dataclass(frozen=True)
class OutgoingMessage:
    body: BaseModel | dict[str, Any]
    trace_id: str | None
    group_id: str | None = None  # FIFO only
    deduplication_id: str | None = None  # FIFO only


class Publisher(Protocol):
    def publish(self, queue: str, message: OutgoingMessage) -> bool: ...

    def publish_batch(self, queue: str, messages: Sequence[OutgoingMessage]) -> bool: ...


def _body(message: OutgoingMessage) -> str:
    if isinstance(message.body, BaseModel):
        return message.body.model_dump_json(exclude_none=False)
    return json.dumps(message.body, separators=(",", ":"), default=str)


def _entry(message: OutgoingMessage) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "MessageBody": _body(message),
        "MessageAttributes": {"trace_id": {"DataType": "String", "StringValue": message.trace_id or "none"}},
    }
    if message.group_id is not None:
        entry["MessageGroupId"] = message.group_id
    if message.deduplication_id is not None:
        entry["MessageDeduplicationId"] = message.deduplication_id
    return entry


class SqsPublisher:
    """Sends to queues by key (``chalicelib.resources.QUEUES``), URLs from the settings."""

    def __init__(self, settings: Settings, sqs_client: Any = None):
        self._settings = settings
        self._client = sqs_client
        self.calls = 0  # SendMessage/SendMessageBatch requests made (benchmarks count them)

    @property
    def client(self) -> Any:
        if self._client is None:
            from chalicelib import aws

            self._client = aws.client("sqs")
        return self._client

    def queue_url(self, queue: str) -> str | None:
        return getattr(self._settings, QUEUES[queue].url_setting.lower())

    def publish(self, queue: str, message: OutgoingMessage) -> bool:
        """Send one message; False when the queue is not configured. Raises PublishError."""
        return self.publish_batch(queue, [message])

    def publish_batch(self, queue: str, messages: Sequence[OutgoingMessage]) -> bool:
        """Send messages in as few requests as possible (≤ 10 per request)."""
        if not messages:
            return True
        url = self.queue_url(queue)
        if not url:
            log.warning("queue not configured, message skipped", extra={"queue": queue,
                                                                        "setting": QUEUES[queue].url_setting})
            return False
        try:
            for start in range(0, len(messages), MAX_BATCH):
                chunk = messages[start:start + MAX_BATCH]
                self.calls += 1
                if len(chunk) == 1:
                    self.client.send_message(QueueUrl=url, **_entry(chunk[0]))
                    continue
                reply = self.client.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), **_entry(m)} for i, m in enumerate(chunk)])
                if reply.get("Failed"):
                    raise PublishError(f"{len(reply['Failed'])} message(s) refused by {queue}: "
                                       f"{reply['Failed'][0].get('Message')}")
        except PublishError:
            raise
        except Exception as exc:  # botocore errors of every kind: the caller decides what to do
            raise PublishError(f"cannot publish to {queue}: {exc}") from exc
        return True

    def publish_best_effort(self, queue: str, message: OutgoingMessage) -> bool:
        """Publish, logging (not raising) a failure: the HTTP request still succeeds (api.md §1.10)."""
        try:
            return self.publish(queue, message)
        except PublishError as exc:
            log.error("publish failed", extra={"queue": queue, "error": str(exc)})
            return False
