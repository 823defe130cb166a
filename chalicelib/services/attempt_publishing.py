"""Sending the messages an attempt owes to its queues, from its outbox rows (migration 0010).

The rows are written in the statement that writes the attempt; this module publishes them after the
commit and deletes those that were sent. A failed publish leaves its row (lease released, error
recorded) for :func:`republish_due`, which ``GET /attempts/:id/status`` and the
``republish-outbox`` command call. Every send of a row carries the same body, trace id, group id
and deduplication id (the attempt id on the FIFO attempt stream), so the FIFO queue drops a
repeated send within its 5-minute window and every consumer is idempotent beyond it.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.messaging.messages import AdhocSolve, AttemptTelemetry, LlmClassifyRequest
from chalicelib.messaging.sqs_publisher import OutgoingMessage, PublishError, SqsPublisher
from chalicelib.store import attempt_outbox
from chalicelib.store.database import Database

log = logging.getLogger(__name__)

#: How long a publisher owns the rows it claimed (a request publishes well within it).
OUTBOX_LEASE_SECONDS = 30.0

_MESSAGE_MODELS: dict[str, type[BaseModel]] = {
    "attempt_stream": AttemptTelemetry,
    "llm_classify": LlmClassifyRequest,
    "adhoc_solve": AdhocSolve,
}


@dataclass(frozen=True)
class PendingMessage:
    """One outbox row: a message for ``queue`` on behalf of ``attempt_id``."""

    attempt_id: str
    queue: str
    body: dict[str, Any]
    trace_id: str
    group_id: str | None = None
    deduplication_id: str | None = None

    @classmethod
    def from_row(cls, attempt_id: str, row: dict[str, Any]) -> "PendingMessage":
        return cls(attempt_id, row["queue"], row["body"], row["trace_id"], row.get("group_id"),
                   row.get("deduplication_id"))

    def outgoing(self) -> OutgoingMessage:
        """The message, validated against its queue's schema (a body that drifted never leaves)."""
        model = _MESSAGE_MODELS[self.queue].model_validate(self.body)
        return OutgoingMessage(model, self.trace_id, group_id=self.group_id,
                               deduplication_id=self.deduplication_id)


@dataclass
class PublishOutcome:
    """Queues reached and queues still owed, per attempt."""

    published: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def publish_pending(db: Database, publisher: SqsPublisher, attempt_id: str,
                    messages: Sequence[PendingMessage]) -> PublishOutcome:
    """Send an attempt's claimed messages (one SQS call each), then settle their rows.

    Sent rows are deleted in one statement; failed ones are released with the error so the next
    re-publish can take them at once. Never raises for a queue failure: the attempt is committed.
    """
    outcome = PublishOutcome()
    errors = []
    for message in messages:
        try:
            sent = publisher.publish(message.queue, message.outgoing())
            error = None if sent else "queue not configured"
        except (PublishError, ValidationError) as exc:
            error = str(exc)
        if error is None:
            outcome.published.append(message.queue)
        else:
            outcome.failed.append(message.queue)
            errors.append(f"{message.queue}: {error}")
            log.error("attempt message not published; kept in the outbox",
                      extra={"attempt_id": attempt_id, "queue": message.queue, "error": error})
    if outcome.published:
        attempt_outbox.delete_published(db, attempt_id, outcome.published)
    if outcome.failed:
        attempt_outbox.release_failed(db, attempt_id, outcome.failed, "; ".join(errors))
    return outcome


@dataclass
class RepublishReport:
    published: int = 0
    failed: int = 0


def republish_due(db: Database, publisher: SqsPublisher, *, attempt_id: str | None = None,
                  limit: int = 100) -> RepublishReport:
    """Claim the rows whose lease ran out (of one attempt, or the oldest ``limit``) and send them."""
    rows = attempt_outbox.claim_due(db, lease_seconds=OUTBOX_LEASE_SECONDS, limit=limit, attempt_id=attempt_id)
    report = RepublishReport()
    for owner, messages in _by_attempt(rows):
        outcome = publish_pending(db, publisher, owner, messages)
        report.published += len(outcome.published)
        report.failed += len(outcome.failed)
    if rows:
        log.info("outbox re-published", extra={"published": report.published, "failed": report.failed})
    return report


def _by_attempt(rows: Iterable[dict[str, Any]]) -> list[tuple[str, list[PendingMessage]]]:
    grouped: dict[str, list[PendingMessage]] = {}
    for row in rows:
        grouped.setdefault(row["attempt_id"], []).append(PendingMessage.from_row(row["attempt_id"], row))
    return list(grouped.items())
