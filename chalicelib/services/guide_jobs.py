"""The guide pipeline's jobs on their queues (workers.md §7.4–7.6).

Bodies carry the guide's or the submission's own trace id (api.md §1.5), so the AI engine follows
one trace per guide or submission; the ``trace_id`` message attribute carries the trace of the
request that enqueued the job (DECISIONS.md §3), which is also in that request's log lines.

Each job is published inside the transaction that records it: a refused publish raises
:class:`~chalicelib.errors.Unavailable` and the state change rolls back, so the caller can simply
retry. (The opposite order — commit, then publish — would leave a guide ``EXTRACTING`` or a
submission ``TRANSCRIBING`` with no job behind it, and the idempotent retry would never enqueue.)
A job that goes with a state change (ingest, grading) needs its queue: with the queue URL unset the
request answers 503 and changes nothing, instead of leaving a state no retry can move on. A
regeneration request changes no state; with its queue unset it is skipped with a warning and
answers ``enqueued: false``.
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib import errors
from chalicelib.messaging.messages import GuideIngest, SolutionGeneration, SubmissionGrade
from chalicelib.messaging.sqs_publisher import OutgoingMessage, Publisher, PublishError
from chalicelib.resources import QUEUES

log = logging.getLogger(__name__)


def _publish(publisher: Publisher, queue: str, body: Any, request_trace_id: str, what: str, *,
             required: bool, subject: str) -> bool:
    try:
        sent = publisher.publish(queue, OutgoingMessage(body, trace_id=request_trace_id))
    except PublishError as exc:
        log.error("job not enqueued", extra={"queue": queue, "subject": subject, "error": str(exc)})
        raise errors.Unavailable(f"Could not enqueue the {what}, nothing was changed — retry shortly") from exc
    if not sent and required:
        raise errors.Unavailable(f"{QUEUES[queue].url_setting} not configured: cannot enqueue the {what}")
    log.info("job enqueued" if sent else "job skipped: queue not configured",
             extra={"queue": queue, "subject": subject, "job_trace_id": getattr(body, "trace_id", None)})
    return sent


def enqueue_ingest(publisher: Publisher, guide: dict[str, Any], request_trace_id: str) -> bool:
    """guide-ingest (§7.4) for a guide row carrying ``course_grade_level``."""
    body = GuideIngest(guide_id=guide["id"], source_pdf_key=guide["source_pdf_key"],
                       course_grade_level=int(guide.get("course_grade_level") or 0), trace_id=guide["trace_id"])
    return _publish(publisher, "guide_ingest", body, request_trace_id, "guide extraction", required=True,
                    subject=guide["id"])


def enqueue_solution(publisher: Publisher, guide: dict[str, Any], question_id: str | None,
                     request_trace_id: str) -> bool:
    """solution-generation (§7.5) for one question (``None`` = every question of the guide)."""
    body = SolutionGeneration(guide_id=guide["id"], guide_question_id=question_id, trace_id=guide["trace_id"])
    return _publish(publisher, "solution_gen", body, request_trace_id, "solution generation", required=False,
                    subject=guide["id"])


def enqueue_grading(publisher: Publisher, submission: dict[str, Any], request_trace_id: str) -> bool:
    """submission-grade (§7.6) for a submission row (``solution_version`` None is sent as 0)."""
    body = SubmissionGrade(guide_submission_id=submission["id"], guide_question_id=submission["guide_question_id"],
                           solution_version=int(submission.get("solution_version") or 0),
                           photo_keys=list(submission.get("photo_keys") or []), trace_id=submission["trace_id"])
    return _publish(publisher, "submission_grade", body, request_trace_id, "grading job", required=True,
                    subject=submission["id"])
