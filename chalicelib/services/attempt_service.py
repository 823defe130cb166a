"""Attempts: submission with synchronous classification and BKT, status, detail, field reports,
ad-hoc solves, and the two entry points other paths use to write attempts.

``POST /attempts`` costs three database round trips including authentication's read: the call of
:func:`chalicelib.store.attempts.insert_submitted_attempt` (topic resolution, verdict, attempt,
steps, mastery, outbox — one statement, atomic on its own, no BEGIN/COMMIT needed) and the delete
of the outbox rows once their messages are sent; plus one SQS call per destination queue. A failed publish
keeps its outbox row for a later re-publish with the same ids (:mod:`.attempt_publishing`).

For other code paths (the attempt-reprocess worker):

- :func:`record_attempt` writes an attempt the caller classified, its steps and — given a topic —
  its one BKT update (with ``trend_7d``), atomically; it joins the caller's transaction.
- :func:`reclassify_attempt` re-classifies an existing attempt in place with the rule engine and
  replaces its steps, with no BKT update and no telemetry (DECISIONS.md §3); it returns the LLM
  request to publish when the result is ``UNCLASSIFIED``.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import errors
from chalicelib.api.schemas.attempts import (
    AdhocSolveCreate,
    AttemptCreate,
    AttemptCreated,
    AttemptDetailOut,
    AttemptStatusOut,
    AttemptStepOut,
    AttemptSubmissionOut,
)
from chalicelib.domain.bkt import mastery_level
from chalicelib.domain.identity import Principal
from chalicelib.domain.rule_engine import (
    REGISTERED_ROUTING_KEYS,
    UNKNOWN_ROUTING_KEY,
    Classification,
    InvalidAttempt,
    classify,
    routing_key,
)
from chalicelib.domain.rule_engine.number_text import canonical_text
from chalicelib.messaging.messages import AdhocSolve, AttemptTelemetry, LlmClassifyRequest, RawStep
from chalicelib.messaging.s3_storage import ObjectStorage
from chalicelib.messaging.sqs_publisher import SqsPublisher
from chalicelib.services import access
from chalicelib.services.attempt_publishing import (
    OUTBOX_LEASE_SECONDS,
    PendingMessage,
    publish_pending,
    republish_due,
)
from chalicelib.store import attempts as attempt_store
from chalicelib.store.database import Database

#: Presigned GET URLs of a submission's photos in ``GET /attempts/:id/detail`` (api.md §1.10).
DETAIL_PHOTO_URL_TTL_SECONDS = 3600
ADHOC_DEFAULT_GRADE_LEVEL = 7
_FALLBACK_KEY = "*"  # the verdict for any routing key without a strategy
_SORTED_ROUTING_KEYS = tuple(sorted(REGISTERED_ROUTING_KEYS))


# -- POST /attempts ----------------------------------------------------------------------------------

def rule_engine_record(submission: AttemptCreate) -> dict[str, Any]:
    """The attempt as the rule engine reads it (domain.md §1.2 field names)."""
    return {
        "student_id": submission.student_id,
        "topic_code": submission.topic_code,
        "exercise_id": submission.exercise_id,
        "course_id": submission.course_id,
        "steps": [{"expression": step.expression, "is_final": step.is_final} for step in submission.raw_steps],
        "expected_answer": submission.expected_answer,
        "student_answer": submission.student_answer,
        "operand_a": submission.minuend,
        "operand_b": submission.subtrahend,
    }


def verdict_candidates(record: dict[str, Any]) -> list[tuple[str, str, bool, float]]:
    """The engine's verdict under every registered routing key, plus the fallback under ``*``.

    The statement that resolves the topic picks the one for the topic's routing key; computing all
    of them (a few microseconds each) spares a round trip to learn the key first.
    """
    try:
        verdicts = [(key, classify(record, key)) for key in _SORTED_ROUTING_KEYS]
        verdicts.append((_FALLBACK_KEY, classify(record, UNKNOWN_ROUTING_KEY)))
    except InvalidAttempt as exc:  # the schema already refuses these; kept as a 400, never a 500
        raise errors.InvalidInput([str(exc)]) from None
    return [(key, c.error_tag, c.is_correct, c.confidence) for key, c in verdicts]


def _number_text(value: float | None) -> str:
    return "" if value is None else canonical_text(float(value))


def submit_attempt(db: Database, publisher: SqsPublisher, principal: Principal, submission: AttemptCreate,
                   trace_id: str) -> AttemptCreated:
    """Classify, store and publish one attempt (api.md §4.3 ``POST /attempts``): its classification
    and the student's mastery of its topic after it.

    404 for a student the caller may not act for, an unknown exercise, or a course the student is
    not actively enrolled in; 400 for an unknown or ambiguous topic reference.
    """
    access.require_student(db, principal, submission.student_id)
    attempt_id = str(uuid.uuid4())
    raw_steps = [RawStep(expression=s.expression, isFinal=s.is_final) for s in submission.raw_steps]
    stream_body = None
    if publisher.queue_url("attempt_stream"):
        stream_body = AttemptTelemetry(
            attemptId=attempt_id, traceId=trace_id, rawSteps=raw_steps, studentId=submission.student_id,
            courseId=submission.course_id,
            events=[event.model_dump() for event in submission.events] if submission.events is not None else None,
        ).model_dump_json()
    llm_body = None
    if publisher.queue_url("llm_classify"):
        # The topic fields and the problem statement are added by the statement, from the topic and
        # exercise it resolves; the outbox row then holds the complete message.
        llm_body = json.dumps({
            "id": attempt_id,
            "raw_steps": [step.model_dump() for step in raw_steps],
            "canonical_solution": _number_text(submission.expected_answer),
            "final_answer": _number_text(submission.student_answer),
            "student_id": submission.student_id,
            "trace_id": trace_id,
        })
    row = attempt_store.insert_submitted_attempt(
        db, attempt_id=attempt_id, student_id=submission.student_id, exercise_id=submission.exercise_id,
        course_id=submission.course_id, topic_ref=submission.topic_code, trace_id=trace_id,
        final_answer=_number_text(submission.student_answer),
        candidates=verdict_candidates(rule_engine_record(submission)),
        steps=[(s.expression, s.is_final) for s in submission.raw_steps],
        stream_body=stream_body, llm_body=llm_body,
        fallback_statement=f"{_number_text(submission.minuend)} - {_number_text(submission.subtrahend)} = ?",
        lease_seconds=OUTBOX_LEASE_SECONDS,
    )
    if row["attempt_status"] is None:
        _raise_submission_refusal(row, submission)
    messages = [PendingMessage.from_row(attempt_id, entry) for entry in row["outbox"] or ()]
    if messages:
        publish_pending(db, publisher, attempt_id, messages)
    p_known = float(row["mastery_p_known"])
    return AttemptCreated(
        attempt_id=attempt_id, is_correct=row["verdict_correct"], error_tag_code=row["verdict_tag"],
        classifier_source=row["attempt_classifier_source"], confidence=float(row["verdict_confidence"]),
        p_known=p_known, mastery_level=mastery_level(p_known).value,
    )


def _raise_submission_refusal(row: dict[str, Any], submission: AttemptCreate) -> None:
    if not row["exercise_found"]:
        raise errors.NotFound(f"Exercise {submission.exercise_id} not found")
    if not row["course_found"]:
        raise errors.NotFound(f"Course {submission.course_id} not found")
    candidates = row["topic_candidates"] or []
    if len(candidates) > 1:
        message = (f"topicCode '{submission.topic_code}' is ambiguous: use one of {', '.join(candidates)}"
                   " (<unit code>/<topic code>) or a topic id")
        raise errors.InvalidInput([message], details=[{"field": "topicCode", "message": message,
                                                      "type": "ambiguous_topic", "candidates": candidates}])
    if submission.exercise_id is None:
        message = f"topicCode '{submission.topic_code}' names no topic"
        raise errors.InvalidInput([message], details=[{"field": "topicCode", "message": message,
                                                      "type": "unknown_topic"}])
    raise errors.NotFound(f"Exercise {submission.exercise_id} not found")  # pragma: no cover - FK holds


# -- POST /attempts/solve-adhoc ------------------------------------------------------------------------

def solve_adhoc(db: Database, publisher: SqsPublisher, principal: Principal, request: AdhocSolveCreate,
                trace_id: str) -> str:
    """A PENDING ``SCAN_ADHOC`` attempt handed to the asynchronous solver; returns its id."""
    access.require_student(db, principal, request.student_id)
    attempt_id = str(uuid.uuid4())
    body = None
    if publisher.queue_url("adhoc_solve"):
        body = AdhocSolve(
            attempt_id=attempt_id, problem_latex=request.problem_latex, student_steps=request.student_steps or [],
            student_final_answer=request.student_final_answer, student_id=request.student_id,
            grade_level=request.grade_level or ADHOC_DEFAULT_GRADE_LEVEL, trace_id=trace_id,
        ).model_dump_json()
    row = attempt_store.insert_adhoc_attempt(
        db, attempt_id=attempt_id, student_id=request.student_id, course_id=request.course_id,
        final_answer=request.student_final_answer, trace_id=trace_id, body=body,
        lease_seconds=OUTBOX_LEASE_SECONDS)
    if row["attempt_id"] is None:
        raise errors.NotFound(f"Course {request.course_id} not found")
    messages = [PendingMessage.from_row(attempt_id, entry) for entry in row["outbox"] or ()]
    if messages:
        publish_pending(db, publisher, attempt_id, messages)
    return attempt_id


# -- reading ---------------------------------------------------------------------------------------------

def _visible_attempt(db: Database, principal: Principal, row: dict[str, Any] | None, attempt_id: str) -> dict[str, Any]:
    message = f"Attempt {attempt_id} not found"
    if row is None:
        raise errors.NotFound(message)
    access.require_student(db, principal, row["student_id"], message=message)
    return row


def attempt_status(db: Database, publisher: SqsPublisher, principal: Principal, attempt_id: str) -> AttemptStatusOut:
    """Where the classification of an attempt stands; also re-sends any message it still owes."""
    row = _visible_attempt(db, principal, attempt_store.find_attempt_status(db, attempt_id), attempt_id)
    if row["has_unpublished_messages"]:
        republish_due(db, publisher, attempt_id=attempt_id)
    return AttemptStatusOut(attempt_id=row["id"], status=row["status"], is_correct=row["is_correct"],
                            error_tag_code=row["error_tag_code"], error_tag_name=row["error_tag_name"] or None,
                            classifier_source=row["classifier_source"], confidence=row["confidence"])


def attempt_detail(db: Database, storage: ObjectStorage, principal: Principal, attempt_id: str,
                   submissions_bucket: str | None) -> AttemptDetailOut:
    """Status, steps and — for a graded guide photo — the submission with presigned photo URLs.

    Without a submissions bucket configured the photo URL list is empty (api.md §1.10).
    """
    row = _visible_attempt(db, principal, attempt_store.find_attempt_detail(db, attempt_id), attempt_id)
    steps = row["steps"]  # pg8000 decodes json values
    submission = None
    if row["submission_id"] is not None:
        urls = [storage.presign_get(submissions_bucket, key, ttl_seconds=DETAIL_PHOTO_URL_TTL_SECONDS)
                for key in row["photo_keys"] or ()] if submissions_bucket else []
        submission = AttemptSubmissionOut(photo_urls=urls, transcription_latex=row["transcription_latex"],
                                          transcription_json=row["transcription_json"],
                                          transcription_confidence=row["transcription_confidence"])
    return AttemptDetailOut(
        attempt_id=row["id"], status=row["status"], is_correct=row["is_correct"],
        error_tag_code=row["error_tag_code"], error_tag_name=row["error_tag_name"],
        classifier_source=row["classifier_source"], confidence=row["confidence"],
        steps=[AttemptStepOut(step_index=s["step_index"], content_latex=s["content_latex"], is_correct=s["is_correct"])
               for s in steps],
        submission=submission,
    )


def report_attempt(db: Database, principal: Principal, attempt_id: str, error_tag_code: str,
                   comment: str | None) -> str:
    """Record the caller's field report of the right tag; the attempt itself is not changed."""
    student_id = attempt_store.find_attempt_student(db, attempt_id)
    _visible_attempt(db, principal, None if student_id is None else {"student_id": student_id}, attempt_id)
    report_id = attempt_store.insert_error_report(db, attempt_id=attempt_id, error_tag_code=error_tag_code,
                                                  reported_by_id=principal.user_id, comment=comment)
    if report_id is None:
        raise errors.NotFound(f"Error tag {error_tag_code} not found")
    return attempt_id


# -- for other paths (attempt-reprocess worker) ------------------------------------------------------

@dataclass(frozen=True)
class AttemptRecord:
    """An attempt classified by its producer (e.g. a graded guide photo, workers.md §6.2).

    ``topic_id`` set = apply the BKT update with ``is_correct`` (once; the attempt is the key of its
    ``mastery_observations`` row). ``steps``: ``(content_latex, is_correct or None)`` in order.
    ``status`` ``CLASSIFIED`` sets ``classified_at``. ``error_tag_code`` None = no tag.
    """

    student_id: str
    is_correct: bool
    classifier_source: str
    status: str
    input_mode: str
    trace_id: str
    steps: Sequence[tuple[str, bool | None]] = ()
    error_tag_code: str | None = None
    confidence: float | None = None
    topic_id: str | None = None
    exercise_id: str | None = None
    course_id: str | None = None
    assignment_id: str | None = None
    final_answer: str | None = None
    ocr_confidence: float | None = None
    ocr_provider: str | None = None
    attempt_id: str | None = None  # generated when None


@dataclass(frozen=True)
class RecordedAttempt:
    attempt_id: str
    p_known: float | None  # None when no mastery update was made (no topic)
    trend_7d: float | None


def record_attempt(db: Database, record: AttemptRecord) -> RecordedAttempt:
    """Write a classified attempt, its steps and its BKT update, atomically.

    Joins the caller's transaction when there is one (the reprocess worker locks its submission
    first); publishes nothing. A ``topic_id`` that does not exist skips the mastery update.
    """
    attempt_id = record.attempt_id or str(uuid.uuid4())
    with db.transaction():
        attempt_store.insert_recorded_attempt(
            db, attempt_id=attempt_id, student_id=record.student_id, is_correct=record.is_correct,
            status=record.status, classifier_source=record.classifier_source, input_mode=record.input_mode,
            trace_id=record.trace_id, error_tag_code=record.error_tag_code, confidence=record.confidence,
            exercise_id=record.exercise_id, course_id=record.course_id, assignment_id=record.assignment_id,
            final_answer=record.final_answer, ocr_confidence=record.ocr_confidence,
            ocr_provider=record.ocr_provider, steps=list(record.steps))
        mastery = None
        if record.topic_id is not None:
            mastery = attempt_store.apply_bkt_observation(db, attempt_id=attempt_id, student_id=record.student_id,
                                                          topic_id=record.topic_id, is_correct=record.is_correct)
    if mastery is None:
        return RecordedAttempt(attempt_id, None, None)
    return RecordedAttempt(attempt_id, mastery["mastery_p_known"], mastery["mastery_trend_7d"])


@dataclass(frozen=True)
class Reclassification:
    """Outcome of :func:`reclassify_attempt`.

    ``already_applied``: this re-read was applied before (same provider and confidence) and
    nothing changed. ``llm_request``: the message to publish when the result is ``UNCLASSIFIED``.
    """

    attempt_id: str
    classification: Classification | None
    status: str
    already_applied: bool
    llm_request: LlmClassifyRequest | None


def reclassify_attempt(db: Database, attempt_id: str, *, steps: Sequence[str], student_answer: float,
                       ocr_provider: str, ocr_confidence: float, trace_id: str,
                       expected_answer: float | None = None) -> Reclassification | None:
    """Re-classify an existing attempt in place from transcribed steps (workers.md §6.3).

    Call inside a transaction: the attempt row is locked first. ``expected_answer`` None = the
    exercise's numeric ``expectedAnswer``, else 0. The routing key comes from the exercise's topic
    (none → ``UNKNOWN``); no operands. The steps are replaced (the last one carries the
    correctness); no BKT update, no telemetry. None when the attempt does not exist.
    """
    row = attempt_store.lock_attempt_for_reclassification(db, attempt_id)
    if row is None:
        return None
    if row["ocr_provider"] == ocr_provider and row["ocr_confidence"] == ocr_confidence:
        return Reclassification(attempt_id, None, row["status"], True, None)
    if expected_answer is None:
        expected_answer = _content_expected_answer(row["exercise_content"])
    raw_steps = [RawStep(expression=text, isFinal=index == len(steps) - 1) for index, text in enumerate(steps)]
    record = {"student_id": row["student_id"], "topic_code": row["topic_code"] or "",
              "steps": [{"expression": s.expression, "is_final": s.isFinal} for s in raw_steps],
              "expected_answer": expected_answer, "student_answer": student_answer}
    key = routing_key(row["domain_code"], row["subdomain_code"]) if row["topic_id"] else UNKNOWN_ROUTING_KEY
    result = classify(record, key)
    status = result.attempt_status
    attempt_store.update_reclassified_attempt(
        db, attempt_id=attempt_id, is_correct=result.is_correct, error_tag_code=result.error_tag,
        classifier_source=result.classifier_source, confidence=result.confidence, status=status,
        final_answer=_number_text(student_answer), ocr_confidence=ocr_confidence, ocr_provider=ocr_provider,
        steps=[(s.expression, result.is_correct if s.isFinal else None) for s in raw_steps])
    llm_request = None
    if result.is_unclassified:
        llm_request = LlmClassifyRequest(
            id=attempt_id, topic=row["topic_code"], domain_id=row["domain_id"],
            subdomain_code=row["subdomain_code"],
            problem_statement=row["exercise_prompt"] if row["exercise_prompt"] is not None else " -  = ?",
            canonical_solution=_number_text(expected_answer), raw_steps=raw_steps,
            final_answer=_number_text(student_answer), student_id=row["student_id"], trace_id=trace_id)
    return Reclassification(attempt_id, result, status, False, llm_request)


def _content_expected_answer(content: Any) -> float:
    value = content.get("expectedAnswer") if isinstance(content, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return 0.0
