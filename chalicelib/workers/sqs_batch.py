"""The SQS partial-batch protocol shared by the three SQS workers (workers.md §0.2, §0.3).

A handler wraps its event in :class:`SqsBatch`, processes each record inside the record's trace
scope, and returns :meth:`SqsBatch.response` — ``{"batchItemFailures": [{"itemIdentifier": id}]}``.
One failing record never fails the others; a malformed body is a failed item with a logged reason
(it reaches the queue's DLQ after ``maxReceiveCount`` receives). On a FIFO queue a record whose
group already failed earlier in the batch is failed without being processed, so a partial retry
never reorders a group (§2.2 step 1).

Why not Powertools' ``BatchProcessor``: it raises when *every* record fails (the spec wants the
handler to raise only when it cannot start), the telemetry worker writes its records in one bulk
call rather than one callback per record, and importing it costs ~130 ms of cold start.
"""
from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from chalicelib.logs import trace_scope

log = logging.getLogger(__name__)

T = TypeVar("T")
_NOT_JSON = object()


class MalformedMessage(ValueError):
    """The body is not JSON or violates the queue's message schema (permanent failure)."""


@dataclass(frozen=True)
class SqsRecord:
    """One SQS record of a Lambda event, with its body parsed once."""

    message_id: str
    body: str
    attributes: Mapping[str, str]
    message_attributes: Mapping[str, Any]
    payload: Any = field(repr=False)  # the parsed JSON body, or _NOT_JSON

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> "SqsRecord":
        body = record.get("body") or ""
        try:
            payload = json.loads(body)
        except ValueError:
            payload = _NOT_JSON
        return cls(message_id=record["messageId"], body=body, attributes=record.get("attributes") or {},
                   message_attributes=record.get("messageAttributes") or {}, payload=payload)

    @property
    def group_id(self) -> str | None:
        """``MessageGroupId`` on FIFO queues (the producer's student id for the attempt stream)."""
        return self.attributes.get("MessageGroupId")

    @property
    def receive_count(self) -> int:
        try:
            return int(self.attributes.get("ApproximateReceiveCount", "1"))
        except ValueError:
            return 1

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; :class:`MalformedMessage` otherwise."""
        if self.payload is _NOT_JSON:
            raise MalformedMessage("body is not JSON")
        if not isinstance(self.payload, dict):
            raise MalformedMessage("body is not a JSON object")
        return self.payload

    def trace_id(self) -> str | None:
        """Body ``trace_id``/``traceId``, else the ``trace_id`` attribute, else None (§0.3)."""
        if isinstance(self.payload, dict):
            for key in ("trace_id", "traceId"):
                value = self.payload.get(key)
                if isinstance(value, str) and value:
                    return value
        attribute = self.message_attributes.get("trace_id") or {}
        value = attribute.get("stringValue") or attribute.get("StringValue")
        return value if value and value != "none" else None


def records_of(event: Any) -> list[SqsRecord]:
    """The records of a Chalice ``SQSEvent`` (or of a raw event dict), in the order received."""
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return [SqsRecord.from_dict(record) for record in raw.get("Records") or []]


class SqsBatch:
    """Tracks the failed records of one invocation and runs work inside each record's trace scope."""

    def __init__(self, records: list[SqsRecord], *, fifo: bool = False):
        self.records = records
        self.fifo = fifo
        self._failed: dict[str, None] = {}  # ordered set of message ids
        self._failed_groups: set[str] = set()

    @classmethod
    def from_event(cls, event: Any, *, fifo: bool = False) -> "SqsBatch":
        return cls(records_of(event), fifo=fifo)

    @contextlib.contextmanager
    def scope(self, record: SqsRecord) -> Iterator[str]:
        """The record's trace scope: every log line inside carries its trace id."""
        with trace_scope(record.trace_id()) as trace_id:
            yield trace_id

    def blocked(self, record: SqsRecord) -> bool:
        """FIFO only: True (and the record is failed) when an earlier record of its group failed."""
        if self.fifo and record.group_id is not None and record.group_id in self._failed_groups:
            with self.scope(record):
                self.fail(record, "an earlier message of its group failed in this batch")
            return True
        return False

    def fail(self, record: SqsRecord, reason: str, *, error: BaseException | None = None,
             level: int = logging.ERROR) -> None:
        """Report ``record`` as failed (it returns after the visibility timeout, then the DLQ)."""
        self._failed[record.message_id] = None
        if record.group_id is not None:
            self._failed_groups.add(record.group_id)
        log.log(level, "record failed: %s", reason, exc_info=error if level >= logging.ERROR else None,
                extra={"message_id": record.message_id, "receive_count": record.receive_count,
                       "body_length": len(record.body),
                       **({"error": f"{type(error).__name__}: {error}"} if error else {})})

    def parse(self, record: SqsRecord, parser: Callable[[dict[str, Any]], T]) -> T | None:
        """``parser(body)`` inside the caller's scope; a malformed body fails the record (None)."""
        try:
            return parser(record.json_object())
        except (MalformedMessage, ValidationError, ValueError, TypeError) as exc:
            self.fail(record, "malformed message", error=exc)
            return None

    def each(self, parser: Callable[[dict[str, Any]], T], work: Callable[[T, SqsRecord], Any]) -> None:
        """Parse then process every record in order, each in its own trace scope.

        Any exception of ``work`` fails that record only (transient problems are retried by SQS).
        """
        for record in self.records:
            if self.blocked(record):
                continue
            with self.scope(record):
                message = self.parse(record, parser)
                if message is None:
                    continue
                try:
                    work(message, record)
                except Exception as exc:  # one record's problem never fails the batch
                    self.fail(record, "processing failed", error=exc)

    @property
    def failed_ids(self) -> list[str]:
        return list(self._failed)

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The partial-batch response; an empty list acknowledges the whole batch."""
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in self._failed]}


def remaining_millis(context: Any) -> int | None:
    """Invocation time left according to the Lambda context (None when unknown)."""
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return int(getter()) if callable(getter) else None
