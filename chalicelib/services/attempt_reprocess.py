"""OCR and grading output → attempts (workers.md §6): the use case of the attempt-reprocess worker.

Two message shapes (workers.md §7.3), each handled in **one transaction**:

- **guide path** (a graded guide photo): lock the submission, create its canonical attempt
  (``inputMode = PHOTO_GUIDE``, its steps and — when the question has a topic — its one BKT update),
  publish the LLM classification request of an incorrect answer, close the submission ``GRADED``.
  The submission lock, its unique ``attempt_id`` and an attempt id derived from the submission id
  make it exactly-once: a redelivery finds the submission graded; a crash before the commit leaves
  nothing behind; a second insert of the same attempt could only violate the primary key.
- **legacy OCR path** (a re-read of an existing attempt): re-classify it in place with the rule
  engine — no second attempt, no BKT update, no telemetry (DECISIONS.md §3).

Publishing happens before the commit: a failed publish rolls everything back and the message is
retried; a commit failing after a successful publish leaves the classifier a request for an attempt
that does not exist, which it acknowledges (workers.md §6.2 step 10).
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain.rule_engine import ErrorTag
from chalicelib.messaging.messages import AttemptReprocess, LlmClassifyRequest, RawStep
from chalicelib.messaging.sqs_publisher import OutgoingMessage, Publisher
from chalicelib.services.attempt_service import AttemptRecord, reclassify_attempt, record_attempt
from chalicelib.store import submission_grading
from chalicelib.store.database import Database

log = logging.getLogger(__name__)

CORRECT_SCORE = 0.999  # score_0_1 at or above this is a correct answer (workers.md §6.2 step 3)
TRANSCRIPTION_SEPARATOR = " \\\\ "  # a LaTeX line break between steps: space, two backslashes, space
# Attempt ids of graded submissions are derived from the submission id (uuid5 in this namespace).
GUIDE_ATTEMPT_NAMESPACE = uuid.UUID("5f0b8a52-3c1e-4d8e-9a47-6c2f1e0b9d31")

_LEADING_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)")  # only digits, "." and "-" remain


@dataclass(frozen=True)
class ReprocessOutcome:
    """What one message did: ``path`` ``guide``/``legacy``; ``result`` one of ``created``,
    ``already_graded``, ``reclassified``, ``already_applied``, ``not_found``."""

    path: str
    result: str
    attempt_id: str | None = None
    classification_requested: bool = False


def raw_steps(latex_steps: Sequence[str]) -> list[RawStep]:
    """``[{expression, isFinal}]`` with ``isFinal`` only on the last step (workers.md §6.1)."""
    return [RawStep(expression=text, isFinal=index == len(latex_steps) - 1) for index, text in enumerate(latex_steps)]


def student_answer(latex_steps: Sequence[str]) -> float:
    """The last step with every character but digits, ``.`` and ``-`` removed, read like
    JavaScript's ``parseFloat`` (the longest leading decimal number; nothing readable ⇒ 0)."""
    if not latex_steps:
        return 0.0
    kept = "".join(ch for ch in latex_steps[-1] if ch.isdigit() and ch.isascii() or ch in ".-")
    match = _LEADING_NUMBER.match(kept)
    return float(match.group(0)) if match else 0.0


def guide_attempt_id(submission_id: str) -> str:
    return str(uuid.uuid5(GUIDE_ATTEMPT_NAMESPACE, submission_id))


def reprocess(db: Database, publisher: Publisher, message: AttemptReprocess, *, trace_id: str) -> ReprocessOutcome:
    """Apply one reprocess message (either shape) in one transaction."""
    with db.transaction():
        if message.is_guide_submission:
            return _grade_guide_submission(db, publisher, message, trace_id)
        return _reread_attempt(db, publisher, message, trace_id)


def _grade_guide_submission(db: Database, publisher: Publisher, message: AttemptReprocess,
                            trace_id: str) -> ReprocessOutcome:
    submission_id = message.guide_submission_id or ""
    row = submission_grading.lock_submission_for_grading(db, submission_id)
    if row is None:
        log.warning("guide submission not found: message acknowledged", extra={"submission_id": submission_id})
        return ReprocessOutcome("guide", "not_found")
    if row["status"] == "GRADED" and row["attempt_id"]:
        log.info("guide submission already graded (redelivery)", extra={
            "submission_id": submission_id, "attempt_id": row["attempt_id"]})
        return ReprocessOutcome("guide", "already_graded", row["attempt_id"])
    if message.guide_question_id != row["guide_question_id"]:
        log.warning("message names another question than its submission; the submission's is used", extra={
            "submission_id": submission_id, "question_id": row["guide_question_id"]})

    score = message.alignment_summary.score_0_1 if message.alignment_summary else 0.0
    is_correct = score >= CORRECT_SCORE
    steps = raw_steps(message.latex_steps)
    previous_confidence = row["transcription_confidence"]
    attempt = record_attempt(db, AttemptRecord(
        attempt_id=guide_attempt_id(submission_id),
        student_id=row["student_id"], is_correct=is_correct, input_mode="PHOTO_GUIDE",
        classifier_source="RULE" if is_correct else "LLM", status="CLASSIFIED" if is_correct else "PENDING",
        error_tag_code=ErrorTag.CORRECT.value if is_correct else None, confidence=message.confidence,
        ocr_confidence=previous_confidence if previous_confidence is not None else message.confidence,
        ocr_provider=message.provider, trace_id=trace_id, exercise_id=row["exercise_id"],
        course_id=row["course_id"], assignment_id=row["assignment_id"], topic_id=row["topic_id"],
        steps=[(step.expression, is_correct if step.isFinal else None) for step in steps]))

    requested = False
    if not is_correct:
        request = LlmClassifyRequest(
            id=attempt.attempt_id, topic=row["topic_code"],
            domain_id=row["topic_domain_id"] or row["question_domain_id"], subdomain_code=row["subdomain_code"],
            problem_statement=row["statement_latex"], canonical_solution=row["solution_final_answer"] or "",
            raw_steps=steps, final_answer=steps[-1].expression if steps else "", student_id=row["student_id"],
            trace_id=trace_id)
        requested = publisher.publish("llm_classify", OutgoingMessage(request, trace_id))

    submission_grading.close_graded_submission(
        db, submission_id, attempt_id=attempt.attempt_id,
        transcription_latex=TRANSCRIPTION_SEPARATOR.join(message.latex_steps),
        transcription_confidence=message.confidence, score=score, is_correct=is_correct,
        model_used=message.provider,
        alignment=message.alignment_summary.model_dump() if message.alignment_summary else None)
    log.info("guide submission graded", extra={
        "submission_id": submission_id, "attempt_id": attempt.attempt_id, "is_correct": is_correct,
        "mastery_updated": attempt.p_known is not None, "classification_requested": requested})
    return ReprocessOutcome("guide", "created", attempt.attempt_id, requested)


def _reread_attempt(db: Database, publisher: Publisher, message: AttemptReprocess,
                    trace_id: str) -> ReprocessOutcome:
    attempt_id = message.attempt_id or ""
    result = reclassify_attempt(db, attempt_id, steps=message.latex_steps,
                                student_answer=student_answer(message.latex_steps), ocr_provider=message.provider,
                                ocr_confidence=message.confidence, trace_id=trace_id)
    if result is None:
        log.warning("attempt to re-read not found: message acknowledged", extra={"attempt_id": attempt_id})
        return ReprocessOutcome("legacy", "not_found")
    if result.already_applied:
        log.info("re-read already applied (redelivery)", extra={"attempt_id": attempt_id})
        return ReprocessOutcome("legacy", "already_applied", attempt_id)
    requested = False
    if result.llm_request is not None:
        requested = publisher.publish("llm_classify", OutgoingMessage(result.llm_request, trace_id))
    log.info("attempt re-classified in place", extra={
        "attempt_id": attempt_id, "status": result.status, "classification_requested": requested})
    return ReprocessOutcome("legacy", "reclassified", attempt_id, requested)
