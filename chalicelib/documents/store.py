"""The document store interface (workers.md §8, DECISIONS.md §5).

Three collections, each with the few operations its worker needs:

- ``attempt_events`` (telemetryWorker): one document per attempt, inserted if absent, archived to S3
  after the retention window;
- ``llm_classification_jobs`` (llmClassifierWorker): one audit document per model call, inserted
  ``pending`` then completed;
- ``ocr_jobs`` (ocrWorker): one document per uploaded photo, keyed by ``upload_id``.

Documents are plain dicts with the collection's field names. ``_id`` leaves the store as a
24-hex-character string (a MongoDB ObjectId, or an ObjectId-shaped id in PostgreSQL); dates are
timezone-aware UTC ``datetime`` values with millisecond precision (what BSON keeps). The store
sets ``createdAt``/``updatedAt`` itself unless the caller gives them (the telemetry worker does,
so that archival ages can be tested with a fixed clock).

Two adapters implement :class:`DocumentStore`: :mod:`chalicelib.documents.mongo_store` (production,
``MONGODB_URI``) and :mod:`chalicelib.documents.postgres_store` (JSONB tables, the default when
``MONGODB_URI`` is unset). ``tests/documents`` runs one contract suite against both.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

Document = dict[str, Any]

ATTEMPT_EVENTS = "attempt_events"
LLM_CLASSIFICATION_JOBS = "llm_classification_jobs"
OCR_JOBS = "ocr_jobs"

# Indexes of workers.md §8: (collection, keys, unique). The PostgreSQL migration mirrors them.
INDEXES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    (ATTEMPT_EVENTS, ("attempt_id",), True),
    (ATTEMPT_EVENTS, ("student_id",), False),
    (ATTEMPT_EVENTS, ("trace_id",), False),
    (ATTEMPT_EVENTS, ("createdAt", "archived_to_s3_at"), False),
    (LLM_CLASSIFICATION_JOBS, ("status",), False),
    (LLM_CLASSIFICATION_JOBS, ("trace_id",), False),
    (LLM_CLASSIFICATION_JOBS, ("createdAt",), False),
    (OCR_JOBS, ("upload_id",), True),
    (OCR_JOBS, ("student_id",), False),
    (OCR_JOBS, ("status",), False),
    (OCR_JOBS, ("createdAt",), False),
)


def utc_millis(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime truncated to milliseconds (BSON's precision).

    Both adapters store exactly this, so a document reads back equal whichever store holds it.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def now_utc() -> datetime:
    return utc_millis(datetime.now(timezone.utc))


class DocumentStore(Protocol):
    """What the workers need from the document store; both adapters implement exactly this."""

    # -- attempt_events (§8.1) ---------------------------------------------------------------

    def insert_attempt_events(self, documents: Sequence[Document]) -> list[bool]:
        """Insert each document unless one with its ``attempt_id`` exists (set-on-insert).

        Returns, per input document, whether it was inserted (False = a redelivery, a no-op; of
        several documents with the same ``attempt_id`` only the first is inserted). Raises when the
        store is unreachable; retrying the same documents is then safe.
        """
        ...

    def find_attempt_events(self, attempt_id: str) -> Document | None:
        ...

    def attempt_events_to_archive(self, created_before: datetime, limit: int) -> list[Document]:
        """Documents with ``createdAt < created_before`` and no ``archived_to_s3_at``, oldest first."""
        ...

    def mark_attempt_events_archived(self, document_id: str, archived_at: datetime) -> bool:
        """Set ``archived_to_s3_at``, empty ``events`` and bump ``updatedAt`` — only if the document is
        not archived yet. Returns whether it changed (False: already archived by another run)."""
        ...

    # -- llm_classification_jobs (§8.2) -------------------------------------------------------

    def insert_llm_job(self, job: Mapping[str, Any]) -> str:
        """Insert one job audit document; returns its id (24 hex characters)."""
        ...

    def update_llm_job(self, job_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> bool:
        """Set ``fields`` (and remove ``unset``) on one job; False when no such job exists."""
        ...

    def find_llm_job(self, job_id: str) -> Document | None:
        ...

    # -- ocr_jobs (§8.3) ----------------------------------------------------------------------

    def upsert_ocr_job(self, upload_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> str:
        """Create the job of ``upload_id`` or update it in place (a retried upload); returns its id."""
        ...

    def update_ocr_job(self, upload_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> bool:
        """Set ``fields`` (and remove ``unset``) on the job of ``upload_id``; False when absent."""
        ...

    def find_ocr_job(self, upload_id: str) -> Document | None:
        ...

    # -- administration -----------------------------------------------------------------------

    def ensure_indexes(self) -> None:
        """Create the indexes of §8 if missing (idempotent)."""
        ...
