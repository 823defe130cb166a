"""telemetryWorker: attempt-stream FIFO batches → ``attempt_events`` documents, then archival (workers.md §2).

Per batch: records are read in the order received; a malformed one (not JSON, no ``attemptId`` or
``traceId``) is a failed item, and so is every later record of its message group (FIFO order must
survive a partial retry). The valid records are written in **one** document-store call; if the store
is unreachable every one of them is reported failed (the write is all-or-nothing on PostgreSQL and
idempotent on MongoDB, so the retry is safe). Invalid keystroke events are dropped and counted.
Then, when at least 15 s of invocation time remain, one bounded archival pass runs; its problems
are logged and never fail a record.
"""
from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from chalicelib import dependencies
from chalicelib.messaging.messages import AttemptTelemetry, KeystrokeEvent
from chalicelib.services import telemetry_service
from chalicelib.services.telemetry_service import TelemetryInput
from chalicelib.settings import Settings, require_settings
from chalicelib.workers.sqs_batch import MalformedMessage, SqsBatch, SqsRecord, remaining_millis

log = logging.getLogger(__name__)

ARCHIVAL_MIN_REMAINING_MS = 15_000


def parse_message(body: dict[str, Any], record: SqsRecord) -> tuple[TelemetryInput, int]:
    """The validated message and the number of keystroke events dropped as invalid."""
    raw_events = body.get("events")
    if raw_events is not None and not isinstance(raw_events, list):
        raise MalformedMessage("events is not an array")
    message = AttemptTelemetry.model_validate({**body, "events": None})
    events: list[KeystrokeEvent] = []
    for raw in raw_events or []:
        try:
            events.append(KeystrokeEvent.model_validate(raw))
        except ValidationError:
            continue
    classroom = body.get("courseId") or body.get("classroomId")
    item = TelemetryInput(message=message, events=tuple(events), group_id=record.group_id,
                          classroom_id=classroom if isinstance(classroom, str) else None)
    if not item.student_id:
        raise MalformedMessage("no studentId and no MessageGroupId")
    return item, len(raw_events or []) - len(events)


def handle(event: Any) -> dict[str, list[dict[str, str]]]:
    settings = require_settings("telemetryWorker")
    store = dependencies.document_store()  # a missing DATABASE_URL/MONGODB_URI fails the start
    batch = SqsBatch.from_event(event, fifo=True)

    accepted: list[tuple[SqsRecord, TelemetryInput]] = []
    for record in batch.records:
        if batch.blocked(record):
            continue
        with batch.scope(record):
            parsed = batch.parse(record, lambda body: parse_message(body, record))
            if parsed is None:
                continue
            item, dropped = parsed
            if dropped:
                log.warning("invalid keystroke events dropped", extra={
                    "attempt_id": item.message.attemptId, "dropped": dropped, "kept": len(item.events)})
            accepted.append((record, item))

    if accepted:
        try:
            inserted = telemetry_service.persist_attempt_events(store, [item for _, item in accepted])
        except Exception as exc:  # store unreachable: transient, every written record is retried
            for record, _ in accepted:
                with batch.scope(record):
                    batch.fail(record, "document store write failed", error=exc)
        else:
            for (record, item), new in zip(accepted, inserted):
                with batch.scope(record):
                    log.info("attempt events stored" if new else "attempt events already stored (redelivery)",
                             extra={"attempt_id": item.message.attemptId, "events": len(item.events)})

    remaining = remaining_millis(getattr(event, "context", None))
    if remaining is None or remaining >= ARCHIVAL_MIN_REMAINING_MS:
        _archive(store, settings)
    return batch.response()


def _archive(store: Any, settings: Settings) -> None:
    bucket = settings.s3_raw_events_bucket
    if not bucket:
        log.debug("S3_RAW_EVENTS_BUCKET unset: telemetry archival skipped")
        return
    try:
        telemetry_service.archive_attempt_events(
            store, dependencies.object_storage(), bucket, after_days=settings.telemetry_archive_after_days,
            limit=settings.telemetry_archive_batch)
    except Exception:  # archival never turns persisted records into failures
        log.exception("telemetry archival pass failed")
