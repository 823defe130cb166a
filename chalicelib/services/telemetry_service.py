"""Attempt telemetry (workers.md §2): one ``attempt_events`` document per attempt, and the archival of
old documents to the S3 raw-events lake.

Persisting is idempotent: documents are inserted only when no document of the same attempt exists,
so a redelivered message is a no-op. Archival copies a document to a deterministic key *before*
emptying its events, so a crash between the two steps re-archives the same key on the next run and
never loses events.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.documents.encoding import archive_json
from chalicelib.documents.store import Document, DocumentStore, now_utc, utc_millis
from chalicelib.messaging.messages import AttemptTelemetry, KeystrokeEvent
from chalicelib.messaging.s3_storage import ObjectStorage

log = logging.getLogger(__name__)

ARCHIVE_PREFIX = "attempt_events"


@dataclass(frozen=True)
class TelemetryInput:
    """One attempt-stream message, validated: the body, its valid events and the FIFO group id."""

    message: AttemptTelemetry
    events: tuple[KeystrokeEvent, ...] = ()
    group_id: str | None = None
    classroom_id: str | None = None  # ``courseId``, or its older alias ``classroomId``

    @property
    def student_id(self) -> str | None:
        """``studentId`` when the producer sent it, else the group id (the producer groups by student)."""
        return self.message.studentId or self.group_id


def summarize_events(events: Sequence[KeystrokeEvent]) -> dict[str, int]:
    """EventSummary (§8.1), computed server-side: a client-supplied summary is never trusted."""
    times = [event.t for event in events]
    kinds = [event.type for event in events]
    return {
        "total_events": len(events),
        "duration_ms": max(times) - min(times) if len(times) >= 2 else 0,
        "hints_used": kinds.count("hint_request"),
        "undo_count": kinds.count("undo"),
        "paste_count": kinds.count("paste"),
    }


def attempt_events_document(item: TelemetryInput, now: datetime) -> Document:
    """The ``attempt_events`` document of one message (§2.2 step 3)."""
    if not item.student_id:
        raise ValueError("the message has neither studentId nor a MessageGroupId")
    now = utc_millis(now)
    return {
        "attempt_id": item.message.attemptId,
        "student_id": item.student_id,
        "classroom_id": item.classroom_id or "",
        "trace_id": item.message.traceId,
        "events": [event.model_dump() for event in item.events],
        "summary": summarize_events(item.events),
        "raw_steps": [step.model_dump() for step in item.message.rawSteps],
        "archived_to_s3_at": None,
        "createdAt": now,
        "updatedAt": now,
    }


def persist_attempt_events(store: DocumentStore, items: Sequence[TelemetryInput], *,
                           now: datetime | None = None) -> list[bool]:
    """Store one document per item in one call; per item, whether it was new (False = redelivery).

    Raises when the store cannot be reached: nothing is lost, and retrying the items is safe.
    """
    now = now or now_utc()
    return store.insert_attempt_events([attempt_events_document(item, now) for item in items])


def archive_key(document: Document) -> str:
    """``attempt_events/YYYY/MM/DD/<attempt_id>.json``, dated by the document's ``createdAt`` (UTC)."""
    created = utc_millis(document["createdAt"])
    return f"{ARCHIVE_PREFIX}/{created:%Y/%m/%d}/{document['attempt_id']}.json"


@dataclass
class ArchiveReport:
    archived: list[str] = field(default_factory=list)  # S3 keys written and marked
    skipped: int = 0  # archived meanwhile by a concurrent run
    failed: int = 0  # left for the next run

    @property
    def count(self) -> int:
        return len(self.archived)


def archive_attempt_events(store: DocumentStore, storage: ObjectStorage, bucket: str, *, after_days: int,
                           limit: int, now: datetime | None = None) -> ArchiveReport:
    """Move at most ``limit`` documents older than ``after_days`` to ``bucket`` (§2.3), oldest first.

    Each document is written to S3 first and only then marked archived (events emptied), so a
    failure in between leaves it unarchived and the next run overwrites the same key. One
    document's failure is logged and does not stop the others.
    """
    now = now or now_utc()
    report = ArchiveReport()
    for document in store.attempt_events_to_archive(now - timedelta(days=after_days), limit):
        key = archive_key(document)
        try:
            storage.put(bucket, key, archive_json(document), content_type="application/json")
            if store.mark_attempt_events_archived(document["_id"], now_utc()):
                report.archived.append(key)
            else:
                report.skipped += 1
        except Exception as exc:  # the next run retries this document; the others go on
            report.failed += 1
            log.warning("telemetry archival of one document failed", extra={
                "attempt_id": document["attempt_id"], "key": key, "error": f"{type(exc).__name__}: {exc}"})
    if report.archived or report.failed:
        log.info("telemetry archival pass", extra={"archived": report.count, "skipped": report.skipped,
                                                   "failed": report.failed, "bucket": bucket})
    return report
