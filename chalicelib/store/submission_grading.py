"""Guide submissions graded by the AI engine (workers.md §6.2): the row lock that serialises every
delivery of one grading message, and the closing update.

Both run inside the reprocess worker's transaction, around the attempt insert of
``chalicelib.services.attempt_service.record_attempt``: lock → insert attempt (+ steps + BKT) →
close, committed together or not at all.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.store.database import Database

_LOCK_SUBMISSION = """
SELECT gs.id, gs.status::text AS status, gs.attempt_id, gs.student_id, gs.guide_question_id,
       gs.transcription_confidence,
       g.course_id, g.assignment_id,
       q.exercise_id, q.statement_latex, q.domain_id AS question_domain_id,
       t.id AS topic_id, t.code AS topic_code, t.domain_id AS topic_domain_id, sd.code AS subdomain_code,
       solution.final_answer AS solution_final_answer
FROM guide_submissions gs
JOIN guides g ON g.id = gs.guide_id
JOIN guide_questions q ON q.id = gs.guide_question_id
LEFT JOIN topics t ON t.id = q.topic_id
LEFT JOIN subdomains sd ON sd.id = t.subdomain_id
LEFT JOIN LATERAL (
    SELECT s.final_answer FROM guide_solutions s
    WHERE s.guide_question_id = q.id AND s.is_current
    ORDER BY s.version DESC
    LIMIT 1
) solution ON true
WHERE gs.id = :submission_id
FOR UPDATE OF gs
"""

_CLOSE_SUBMISSION = """
UPDATE guide_submissions SET
    status = 'GRADED',
    transcription_latex = :transcription_latex,
    transcription_confidence = :transcription_confidence,
    score = :score,
    is_correct = :is_correct,
    model_used = :model_used,
    attempt_id = :attempt_id,
    alignment_json = COALESCE(CAST(:alignment AS jsonb), alignment_json),
    graded_at = now(),
    updated_at = now()
WHERE id = :submission_id
"""


def lock_submission_for_grading(db: Database, submission_id: str) -> dict[str, Any] | None:
    """The submission with its guide, question, topic and current solution, row-locked until the
    transaction ends (a concurrent redelivery waits, then sees it graded). None when unknown."""
    return db.fetch_one(_LOCK_SUBMISSION, {"submission_id": submission_id})


def close_graded_submission(db: Database, submission_id: str, *, attempt_id: str, transcription_latex: str,
                            transcription_confidence: float, score: float, is_correct: bool, model_used: str,
                            alignment: dict[str, Any] | None) -> int:
    """Mark the submission ``GRADED`` with its transcription, score and canonical attempt.

    ``alignment`` None leaves ``alignment_json`` as it was.
    """
    return db.execute(_CLOSE_SUBMISSION, {
        "submission_id": submission_id, "attempt_id": attempt_id, "transcription_latex": transcription_latex,
        "transcription_confidence": transcription_confidence, "score": score, "is_correct": is_correct,
        "model_used": model_used, "alignment": json.dumps(alignment) if alignment is not None else None,
    })
