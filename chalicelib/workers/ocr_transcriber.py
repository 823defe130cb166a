"""``ocrWorker``: S3 ``ObjectCreated`` on the OCR upload bucket → Gemini / Claude → reprocess queue (workers.md §4).

Each record is handled on its own (:func:`chalicelib.services.ocr_transcription.transcribe_upload`).
Keys are URL-decoded (``+`` is a space; moto also encodes ``/`` as ``%2F``); keys outside
``uploads/<student_id>/<upload_id>.jpg`` and S3 test events are ignored. Permanent problems (a bad
image, the killswitch) end as a ``failed`` job and return normally; transient ones raise after every
record was tried, so Lambda's asynchronous retry runs the event again and the idempotent service
resumes only the unfinished uploads.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from chalicelib import dependencies
from chalicelib.logs import trace_scope
from chalicelib.settings import get_settings, require_settings

log = logging.getLogger(__name__)


def _event_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def handle(event: Any) -> dict[str, Any]:
    """The Lambda entry point (``app.ocr_worker``); returns a summary per record (for logs and tests)."""
    from chalicelib.services import ocr_transcription
    from chalicelib.services.ocr_transcription import RetryableOcrError, Upload

    require_settings("ocrWorker")
    settings = get_settings()
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    results: list[dict[str, Any]] = []
    retryable: list[Exception] = []
    record_cost = ocr_transcription.record_cost_event(dependencies.database if settings.database_url else None)
    for record in raw.get("Records") or []:
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        key = unquote_plus(obj.get("key") or "")
        upload = Upload.parse((s3.get("bucket") or {}).get("name") or "", key,
                              version=obj.get("versionId") or obj.get("eTag"), size=obj.get("size"),
                              event_time=_event_time(record.get("eventTime")))
        if upload is None:
            log.info("object outside uploads/<student>/<upload>.jpg ignored", extra={"key_length": len(key)})
            results.append({"key": key, "status": "ignored"})
            continue
        with trace_scope(None):
            try:
                result = ocr_transcription.transcribe_upload(
                    upload, documents=dependencies.document_store(), storage=dependencies.object_storage(),
                    orchestrator=dependencies.ocr_orchestrator(), publisher=dependencies.publisher(),
                    record_cost=record_cost, review_threshold=settings.ocr_review_threshold)
                results.append({"key": key, "upload_id": result.upload_id, "status": result.status,
                                "published": result.published})
            except Exception as exc:  # noqa: BLE001 - transient (RetryableOcrError) or unexpected: retry it
                log.error("upload failed, will be retried", exc_info=not isinstance(exc, RetryableOcrError),
                          extra={"upload_id": upload.upload_id, "error": f"{type(exc).__name__}: {exc}"})
                results.append({"key": key, "upload_id": upload.upload_id, "status": "retry"})
                retryable.append(exc)
    if retryable:
        raise retryable[0]  # Lambda's asynchronous retry (2 by default) runs the event again
    return {"results": results}
