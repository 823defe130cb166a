"""The API's OCR use cases (api.md §4.3, §4.9; workers.md §4.10; DECISIONS.md §5).

- :func:`photo_upload_url` — a presigned PUT to ``uploads/<student_id>/<upload_id>.jpg`` in the OCR
  upload bucket, carrying the attempt context as object metadata; the bucket notification then runs
  the ocrWorker. Nothing is written to the database.
- :func:`extract_exercises` — a worksheet photo read in-request (Gemini, Claude fallback below 0.85).
- :func:`scan_page` — a full-page scan of a published guide: OCR in-request, then exercise *i* becomes
  a submission of the guide's approved question *i*, each with one grading job.

Images are checked before any provider sees them (:mod:`chalicelib.ai.images`): a bad one is
:class:`~chalicelib.errors.InvalidInput` naming the problem. Provider failures read as "no exercise".
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from chalicelib import errors
from chalicelib.ai.images import ImageProblem, PreparedImage, prepare_image
from chalicelib.ai.ocr_orchestrator import OcrOrchestrator, PageOutcome
from chalicelib.ai.ocr_prompts import PageTranscription
from chalicelib.ai.vision import ProviderCall
from chalicelib.domain.guide_uploads import PHOTO_CONTENT_TYPE, is_own_scan_key
from chalicelib.domain.identity import Principal
from chalicelib.messaging.s3_storage import ObjectStorage, StorageUnavailable
from chalicelib.messaging.sqs_publisher import Publisher
from chalicelib.services.access import require_profile
from chalicelib.store import attempts as attempt_store
from chalicelib.store.database import Database

log = logging.getLogger(__name__)

IN_REQUEST_TIME_BUDGET_SECONDS = 22.0  # API Gateway cuts requests at ~29 s; S3 and Postgres need the rest
STUDENT_PROFILE = "Student profile"

CostRecorder = Callable[[ProviderCall, str], None]


def photo_upload_url(db: Database, storage: ObjectStorage, principal: Principal, attempt_id: str, *,
                     bucket: str | None, ttl_seconds: int, trace_id: str) -> dict[str, Any]:
    """``{upload_id, photo_key, presigned_url, upload_headers}`` for a photo of one of the caller's attempts.

    The URL signs the content type and the two metadata headers, so the PUT must send exactly the
    ``upload_headers`` returned (S3 refuses it otherwise); the metadata is how the ocrWorker learns
    which attempt the photo belongs to.
    """
    student_id = require_profile(principal, STUDENT_PROFILE)
    if attempt_store.find_attempt_student(db, attempt_id) != student_id:
        raise errors.NotFound(f"Attempt {attempt_id} not found")
    if not bucket:
        raise errors.Unavailable("S3_OCR_UPLOADS_BUCKET not configured")
    upload_id = str(uuid.uuid4())
    key = f"uploads/{student_id}/{upload_id}.jpg"
    metadata = {"attempt-id": attempt_id, "trace-id": trace_id}
    url = storage.presign_put(bucket, key, content_type=PHOTO_CONTENT_TYPE, ttl_seconds=ttl_seconds,
                              metadata=metadata)
    headers = {"Content-Type": PHOTO_CONTENT_TYPE, **{f"x-amz-meta-{name}": value for name, value in metadata.items()}}
    return {"upload_id": upload_id, "photo_key": key, "presigned_url": url, "upload_headers": headers}


def checked_image(data: bytes, field: str = "image") -> PreparedImage:
    """The image ready for a provider, or a 400 that names the problem (type ``too_large``, …)."""
    try:
        return prepare_image(data)
    except ImageProblem as exc:
        raise errors.InvalidInput([f"{field}: {exc}"], details=[{"field": field, "message": str(exc),
                                                                "type": exc.reason}]) from None


def _read_page(orchestrator: OcrOrchestrator, image: PreparedImage, record_cost: CostRecorder,
               trace_id: str) -> PageTranscription:
    if orchestrator.is_paused():
        raise errors.Unavailable("Photo reading is paused (OCR killswitch); type the answer instead")
    outcome: PageOutcome = orchestrator.read_page(image, time_budget_seconds=IN_REQUEST_TIME_BUDGET_SECONDS)
    for call in outcome.calls:
        record_cost(call, trace_id)
    log.info("page read", extra={"provider": outcome.provider, "exercises": len(outcome.page.exercises),
                                 "confidence": round(outcome.page.confidence, 3), "calls": len(outcome.calls)})
    return outcome.page


def exercises_out(page: PageTranscription) -> list[dict[str, Any]]:
    """Each exercise as ``{problem, raw_steps [{expression, is_final}], final_answer, topic_hint, confidence}``."""
    out = []
    for problem, work in page.exercises:
        last = len(work.latex_steps) - 1
        out.append({"problem": problem,
                    "raw_steps": [{"expression": step, "is_final": i == last} for i, step in enumerate(work.latex_steps)],
                    "final_answer": work.final_answer, "topic_hint": work.topic_hint,
                    "confidence": work.overall_confidence})
    return out


def extract_exercises(orchestrator: OcrOrchestrator, data: bytes, *, record_cost: CostRecorder,
                      trace_id: str) -> list[dict[str, Any]]:
    """``POST /attempts/ocr-extract``: the exercises on a worksheet photo (empty when none is readable)."""
    image = checked_image(data)
    return exercises_out(_read_page(orchestrator, image, record_cost, trace_id))


def scan_page(db: Database, storage: ObjectStorage, publisher: Publisher, orchestrator: OcrOrchestrator,
              principal: Principal, guide_id: str, photo_key: str, *, bucket: str | None,
              record_cost: CostRecorder, trace_id: str) -> dict[str, Any]:
    """``POST /student/guides/:id/scan-page``: submissions (with grading jobs) for the exercises on a page.

    The photo must be a scan of this guide under the caller's own prefix (DECISIONS.md §2). Exercise *i*
    pairs with approved question *i*; a question at its re-submission cap is skipped with
    ``limit_reached``. The submissions are recorded as handed to grading (``TRANSCRIBING``, with the
    current solution version) in the transaction that publishes their jobs, so a later ``complete``
    call can never enqueue them a second time.
    """
    from chalicelib.services import guide_jobs
    from chalicelib.services.guide_submission_service import published_guide
    from chalicelib.store import guide_submissions as submission_store

    guide = published_guide(db, principal, guide_id)
    student_id = principal.profile_id or ""
    if not is_own_scan_key(photo_key, guide_id, student_id):
        raise errors.InvalidInput(["photoKey must be a scan of this guide uploaded by you"],
                                  details=[{"field": "photoKey", "message": "not under your own scan prefix",
                                            "type": "foreign_key"}])
    if not bucket:
        raise errors.Unavailable("S3_SUBMISSIONS_BUCKET not configured")
    try:
        if storage.head(bucket, photo_key) is None:
            raise errors.InvalidInput("Photo not found in storage — upload it first")
        questions = submission_store.approved_questions(db, guide_id)
        if not questions:
            raise errors.NotFound("No approved questions found for this guide")
        photo = storage.get(bucket, photo_key).body
    except StorageUnavailable as exc:
        raise errors.Unavailable("Object storage unavailable, retry shortly") from exc
    image = checked_image(photo, field="photoKey")
    page = _read_page(orchestrator, image, record_cost, trace_id)
    submissions: list[dict[str, Any]] = []
    with db.transaction():
        for question, _ in zip(questions, page.exercises):
            created = submission_store.insert_submission(
                db, submission_id=str(uuid.uuid4()), guide_id=guide_id, question_id=question["id"],
                student_id=student_id, photo_keys=[photo_key], trace_id=trace_id,
                max_resubmissions=guide["max_resubmissions"])
            if created is None:
                submissions.append({"question_id": question["id"], "sequence": question["sequence"],
                                    "submission_id": None, "skipped": True, "reason": "limit_reached"})
                continue
            marked = submission_store.mark_grading_enqueued(db, created["id"], student_id)
            guide_jobs.enqueue_grading(publisher, marked or created, trace_id)
            submissions.append({"question_id": question["id"], "sequence": question["sequence"],
                                "submission_id": created["id"], "skipped": False})
    return {"photo_key": photo_key, "matched": sum(1 for s in submissions if not s["skipped"]),
            "submissions": submissions}
