"""Operator views of the running local runtime's queues: depths, DLQ contents, redrive.

Used by the ``queues`` and ``redrive`` commands through the endpoint in ``runtime.json``. Works
on any SQS endpoint; nothing here is specific to moto.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.local.aws_provisioning import local_event_queues
from chalicelib.resources import QUEUES

SQS_BATCH = 10
_DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                     "ApproximateNumberOfMessagesDelayed", "RedrivePolicy", "VisibilityTimeout"]


def dead_letter_queues() -> dict[str, str]:
    """Source queue key → its DLQ key: the queues of ``resources.py`` and the local event queues."""
    pairs = {queue.key: queue.dlq.key for queue in QUEUES.values() if queue.dlq}
    pairs.update({queue.key: queue.dlq_key for queue in local_event_queues()})
    return pairs


@dataclass
class QueueDepth:
    key: str
    name: str
    visible: int
    in_flight: int
    delayed: int
    is_dlq: bool
    max_receive_count: int | None = None
    dlq_key: str | None = None


@dataclass
class DeadLetter:
    message_id: str
    receive_count: int
    sent_at: str
    body: str
    attributes: dict[str, Any] = field(default_factory=dict)


def queue_depths(sqs: Any, queue_urls: Mapping[str, str]) -> list[QueueDepth]:
    """Depth of every queue, source queues first, each followed by its DLQ."""
    pairs = dead_letter_queues()
    dlqs = set(pairs.values())
    order = [key for key in queue_urls if key not in dlqs]
    ordered: list[str] = []
    for key in order:
        ordered.append(key)
        if pairs.get(key) in queue_urls:
            ordered.append(pairs[key])
    ordered += [key for key in queue_urls if key not in ordered]
    depths = []
    for key in ordered:
        url = queue_urls[key]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_DEPTH_ATTRIBUTES)["Attributes"]
        policy = json.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
        depths.append(QueueDepth(
            key=key, name=url.rsplit("/", 1)[-1],
            visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
            is_dlq=key in dlqs, max_receive_count=policy.get("maxReceiveCount"), dlq_key=pairs.get(key)))
    return depths


def peek(sqs: Any, queue_url: str, limit: int = SQS_BATCH) -> list[DeadLetter]:
    """Up to ``limit`` messages of a queue, left where they are (received with visibility 0).

    Each look counts as a receive; on a DLQ (no redrive policy of its own) that is harmless.
    """
    found: dict[str, DeadLetter] = {}
    for _ in range(max(1, -(-limit // SQS_BATCH))):
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(SQS_BATCH, limit - len(found)),
                                    VisibilityTimeout=0, AttributeNames=["All"], MessageAttributeNames=["All"])
        new = [m for m in reply.get("Messages", []) if m["MessageId"] not in found]
        if not new:
            break
        for message in new:
            attributes = message.get("Attributes", {})
            sent = attributes.get("SentTimestamp")
            found[message["MessageId"]] = DeadLetter(
                message_id=message["MessageId"],
                receive_count=int(attributes.get("ApproximateReceiveCount", "0")),
                sent_at=_iso(sent) if sent else "?", body=message.get("Body", ""),
                attributes={k: v for k, v in attributes.items() if k.startswith("Message")})
        if len(found) >= limit:
            break
    return list(found.values())


def _iso(milliseconds: str) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(int(milliseconds) / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_redrive(key: str) -> tuple[str, str]:
    """``(dlq key, source key)`` for a source queue key or a DLQ key; ValueError for anything else."""
    pairs = dead_letter_queues()
    if key in pairs:
        return pairs[key], key
    for source, dlq in pairs.items():
        if dlq == key:
            return dlq, source
    raise ValueError(f"{key!r} is neither a queue with a DLQ nor a DLQ; choose one of: {', '.join(sorted(pairs))}")


def redrive(sqs: Any, dlq_url: str, source_url: str, *, limit: int | None = None) -> int:
    """Move messages from a DLQ back to its source queue (body and message attributes kept).

    A message is deleted from the DLQ only after the source queue accepted it, so an interrupted
    redrive duplicates at worst (every consumer is idempotent), never loses. On FIFO queues the group
    is kept and the deduplication id is new: the original one may still be inside SQS's five-minute
    deduplication window, which would silently drop the redriven copy.
    """
    fifo = source_url.endswith(".fifo")
    moved = 0
    while limit is None or moved < limit:
        count = SQS_BATCH if limit is None else min(SQS_BATCH, limit - moved)
        reply = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=count, VisibilityTimeout=60,
                                    AttributeNames=["All"], MessageAttributeNames=["All"])
        messages = reply.get("Messages", [])
        if not messages:
            break
        entries = []
        for index, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
            attributes = {name: {k: v for k, v in value.items() if k in ("DataType", "StringValue")}
                          for name, value in (message.get("MessageAttributes") or {}).items()
                          if "StringValue" in value}
            if attributes:
                entry["MessageAttributes"] = attributes
            if fifo:
                system = message.get("Attributes", {})
                entry["MessageGroupId"] = system.get("MessageGroupId", "redrive")
                original = system.get("MessageDeduplicationId", message["MessageId"])
                entry["MessageDeduplicationId"] = f"{original[:90]}:redrive:{uuid.uuid4().hex}"
            entries.append(entry)
        reply = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        sent = {item["Id"] for item in reply.get("Successful", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if str(i) in sent]
        if done:
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=done)
        moved += len(done)
        if reply.get("Failed"):
            failure = reply["Failed"][0]
            raise RuntimeError(f"the source queue refused {len(reply['Failed'])} message(s): "
                               f"{failure.get('Code')}: {failure.get('Message')} ({moved} moved)")
    return moved
