"""Transcribing an uploaded photo of a student's work (workers.md §4.2–§4.9), for the ocrWorker.

:func:`transcribe_upload` handles one ``uploads/<student_id>/<upload_id>.jpg`` object:

1. **Idempotency** — the ``ocr_jobs`` document of the upload is looked up first, before any S3 or
   provider call. The same object version already ``completed`` or ``low_confidence_review``, or
   ``pending`` for less than two minutes (a run in progress), stops here; a ``failed`` job, a stale
   ``pending`` one (a crashed run) or a *new version* of the object (the key was overwritten) is
   processed again in place. So each object version yields one job and at most one message.
2. The object is read (bytes and the metadata ``attempt-id`` / ``trace-id`` set by
   ``POST /attempts/photo-upload-url``) and the job upserted ``pending``.
3. The OCR killswitch: paused → ``failed`` with ``paused_due_to_cost``, no provider call, no retry.
4. Image checks (5 MiB, sniffed type, structure; metadata stripped): a bad image → ``failed`` with a
   clear message, no retry.
5. Gemini, then Claude below the confidence threshold (:mod:`chalicelib.ai.ocr_orchestrator`); one
   ``cost_events`` row per provider call.
6. Status (§4.7) and, for ``completed`` with a known attempt, the reprocess message (§7.3 shape A).
7. Unexpected transient trouble (S3, document store, SQS, every provider failing transiently) marks
   the job ``failed`` when it can and raises :class:`RetryableOcrError`, so that Lambda's asynchronous
   retry runs the upload again (step 1 lets it resume).
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.ai.images import MAX_IMAGE_BYTES, ImageProblem, prepare_image
from chalicelib.ai.ocr_orchestrator import (COMPLETED, FAILED, LOW_CONFIDENCE_REVIEW, PAUSED_REASON, PENDING,
                                            OcrOrchestrator, StepsOutcome)
from chalicelib.ai.ocr_prompts import Transcription
from chalicelib.ai.vision import ProviderCall
from chalicelib.logs import trace_scope
from chalicelib.messaging.messages import AttemptReprocess
from chalicelib.messaging.sqs_publisher import OutgoingMessage, Publisher

log = logging.getLogger(__name__)

WORKER = "ocr_worker"
PURGE_AFTER = timedelta(days=30)
PENDING_GRACE = timedelta(minutes=2)
WORKER_TIME_BUDGET_SECONDS = 50.0  # of the function's 60 s
UPLOAD_KEY = re.compile(r"^uploads/(?P<student_id>[^/]+)/(?P<upload_id>[^/]+)\.jpg$")

CostRecorder = Callable[[ProviderCall, str], None]


class RetryableOcrError(RuntimeError):
    """A transient failure: the job is marked ``failed`` and the upload should be processed again."""


@dataclass(frozen=True)
class Upload:
    """One object of the upload bucket, as its S3 event describes it."""

    bucket: str
    key: str
    student_id: str
    upload_id: str
    version: str | None  # VersionId, else ETag: identifies this upload of the key
    size: int | None
    event_time: datetime

    @classmethod
    def parse(cls, bucket: str, key: str, *, version: str | None = None, size: int | None = None,
              event_time: datetime | None = None) -> "Upload | None":
        """The upload behind a (decoded) key, or None for keys outside ``uploads/<student>/<id>.jpg``."""
        found = UPLOAD_KEY.match(key)
        if not found:
            return None
        return cls(bucket, key, found["student_id"], found["upload_id"], (version or "").strip('"') or None, size,
                   event_time or datetime.now(timezone.utc))


@dataclass(frozen=True)
class TranscriptionResult:
    upload_id: str
    status: str  # completed | low_confidence_review | failed | skipped
    published: bool = False
    error_message: str | None = None


def ocr_result_document(transcription: Transcription) -> dict[str, Any]:
    """``ocr_result`` of §8.3: one step per LaTeX line, the last one typed ``final_answer``."""
    last = len(transcription.latex_steps) - 1
    return {
        "topic_hint": transcription.topic_hint,
        "steps": [{"rawText": step, "type": "final_answer" if i == last else "step", "position": None,
                   "confidence": transcription.overall_confidence}
                  for i, step in enumerate(transcription.latex_steps)],
        "final_answer": transcription.final_answer,
        "overall_confidence": transcription.overall_confidence,
    }


def _as_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _already_handled(job: dict[str, Any] | None, version: str | None, now: datetime) -> bool:
    """§4.3 step 2, per object version."""
    if job is None:
        return False
    if version is not None and job.get("s3_version") not in (None, version):
        return False  # the key holds a new photo: process it
    status = job.get("status")
    if status in (COMPLETED, LOW_CONFIDENCE_REVIEW):
        return True
    if status == PENDING:
        started = _as_utc(job.get("updatedAt")) or _as_utc(job.get("createdAt"))
        return started is not None and now - started < PENDING_GRACE
    return False


def transcribe_upload(upload: Upload, *, documents: Any, storage: Any, orchestrator: OcrOrchestrator,
                      publisher: Publisher, record_cost: CostRecorder, review_threshold: float,
                      now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                      time_budget_seconds: float = WORKER_TIME_BUDGET_SECONDS) -> TranscriptionResult:
    """Process one uploaded photo; see the module docstring."""
    started = time.perf_counter()
    try:
        job = documents.find_ocr_job(upload.upload_id)
    except Exception as exc:  # noqa: BLE001 - the document store is down: retry later
        raise RetryableOcrError(f"document store unavailable: {exc}") from exc
    if _already_handled(job, upload.version, now()):
        log.info("upload already handled: duplicate delivery ignored",
                 extra={"upload_id": upload.upload_id, "status": job and job.get("status")})
        return TranscriptionResult(upload.upload_id, "skipped")

    if upload.size is not None and upload.size > MAX_IMAGE_BYTES:
        stored = None  # no need to download what will be refused
    else:
        try:
            stored = storage.get(upload.bucket, upload.key)
        except Exception as exc:  # noqa: BLE001 - S3 read failed: mark and retry (§4.3 step 12)
            _mark_failed(documents, upload, f"s3_read_failed: {exc}", started)
            raise RetryableOcrError(f"cannot read s3://{upload.bucket}/{upload.key}: {exc}") from exc
    metadata = {k.lower(): v for k, v in (stored.metadata if stored else {}).items()}
    attempt_id = metadata.get("attempt-id") or None
    trace_id = metadata.get("trace-id") or str(uuid.uuid4())
    version = upload.version or (stored.version if stored else None)
    with trace_scope(trace_id):
        return _transcribe(upload, job, stored, attempt_id, trace_id, version, started, documents=documents,
                           orchestrator=orchestrator, publisher=publisher, record_cost=record_cost,
                           review_threshold=review_threshold, time_budget_seconds=time_budget_seconds)


def _transcribe(upload: Upload, job: dict[str, Any] | None, stored: Any, attempt_id: str | None, trace_id: str,
                version: str | None, started: float, *, documents: Any, orchestrator: OcrOrchestrator,
                publisher: Publisher, record_cost: CostRecorder, review_threshold: float,
                time_budget_seconds: float) -> TranscriptionResult:
    from chalicelib.documents.store import now_utc

    try:
        documents.upsert_ocr_job(upload.upload_id, {
            "student_id": upload.student_id, "trace_id": trace_id, "s3_key": upload.key,
            "s3_bucket": upload.bucket, "s3_version": version, "s3_purge_at": upload.event_time + PURGE_AFTER,
            "primary_provider": "gemini", "attempt_id": attempt_id, "status": PENDING, "used_fallback": False,
            "fallback_provider": None,
        }, unset=[name for name in ("ocr_result", "error_message", "completed_at", "cost_estimated_usd",
                                     "duration_ms") if job and name in job])
    except Exception as exc:  # noqa: BLE001
        raise RetryableOcrError(f"document store unavailable: {exc}") from exc

    def finish(status: str, error: str | None = None, published: bool = False, **fields: Any) -> TranscriptionResult:
        documents.update_ocr_job(upload.upload_id, {
            "status": status, "duration_ms": round((time.perf_counter() - started) * 1000), "completed_at": now_utc(),
            **({"error_message": error} if error else {}), **fields})
        log.info("upload transcribed", extra={"upload_id": upload.upload_id, "status": status, "error": error,
                                              "published": published})
        return TranscriptionResult(upload.upload_id, status, published, error)

    if orchestrator.is_paused():
        return finish(FAILED, PAUSED_REASON)
    try:
        if stored is None:
            raise ImageProblem("too_large", f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB "
                                            f"({upload.size} bytes)")
        image = prepare_image(stored.body)
    except ImageProblem as exc:
        return finish(FAILED, f"invalid_image ({exc.reason}): {exc}")

    outcome = orchestrator.read_steps(image, time_budget_seconds=time_budget_seconds)
    for call in outcome.calls:
        record_cost(call, trace_id)
    status = outcome.status(review_threshold)
    fields: dict[str, Any] = {"ocr_result": ocr_result_document(outcome.transcription),
                              "used_fallback": outcome.used_fallback, "fallback_provider": outcome.fallback_provider,
                              "cost_estimated_usd": outcome.cost_usd}
    if status == FAILED:
        result = finish(FAILED, outcome.error_message, **fields)
        if outcome.transient_failure:
            raise RetryableOcrError(outcome.error_message or "OCR providers failed")
        return result
    published = False
    if status == COMPLETED and attempt_id:
        published = _publish_reprocess(publisher, documents, upload, outcome, attempt_id, trace_id, started)
    return finish(status, published=published, **fields)


def _publish_reprocess(publisher: Publisher, documents: Any, upload: Upload, outcome: StepsOutcome, attempt_id: str,
                       trace_id: str, started: float) -> bool:
    """The legacy reprocess message (§7.3 shape A) with the kept provider and confidence."""
    body = AttemptReprocess(attempt_id=attempt_id, latex_steps=list(outcome.transcription.latex_steps),
                            provider=outcome.provider or "gemini",
                            confidence=outcome.transcription.overall_confidence, trace_id=trace_id)
    try:
        sent = publisher.publish("attempt_reprocess", OutgoingMessage(body, trace_id=trace_id))
    except Exception as exc:  # noqa: BLE001 - SQS refused: mark and retry (§4.3 step 12)
        _mark_failed(documents, upload, f"publish_failed: {exc}", started)
        raise RetryableOcrError(f"cannot publish the reprocess message: {exc}") from exc
    if not sent:
        log.warning("reprocess queue not configured: message skipped", extra={"attempt_id": attempt_id})
    return bool(sent)


def _mark_failed(documents: Any, upload: Upload, message: str, started: float) -> None:
    """Best effort: the job says why before the retry (the document store may be the problem)."""
    try:
        documents.update_ocr_job(upload.upload_id, {"status": FAILED, "error_message": message,
                                                    "duration_ms": round((time.perf_counter() - started) * 1000)})
    except Exception as exc:  # noqa: BLE001
        log.error("could not mark the OCR job failed", extra={"upload_id": upload.upload_id, "error": str(exc)})


def record_cost_event(db_factory: Callable[[], Any] | None, worker: str = WORKER) -> CostRecorder:
    """A :data:`CostRecorder` writing ``cost_events`` rows (best-effort; skipped without a database)."""

    def record(call: ProviderCall, trace_id: str) -> None:
        if db_factory is None:
            log.warning("no database configured: cost event not recorded", extra={"model": call.model})
            return
        try:
            from chalicelib.store.cost_events import insert_cost_event

            usage = call.usage
            insert_cost_event(db_factory(), worker=worker, model=call.model, input_tokens=usage.input_tokens,
                              output_tokens=usage.output_tokens,
                              cache_creation_input_tokens=usage.cache_creation_input_tokens,
                              cache_read_input_tokens=usage.cache_read_input_tokens, cost_usd=call.cost_usd,
                              trace_id=trace_id)
        except Exception as exc:  # noqa: BLE001 - best-effort by contract (§0.5)
            log.error("cost event not recorded", extra={"error": f"{type(exc).__name__}: {exc}", "model": call.model})

    return record
