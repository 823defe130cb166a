"""Queries on attempts, their steps, field reports and the mastery update an attempt causes.

``POST /attempts`` is one call of ``record_submitted_attempt()`` and the mastery update one call of
``apply_bkt_observation()`` (PL/pgSQL, migration 0013; ``bkt_update()`` of migration 0011 is the
SQL twin of ``chalicelib.domain.bkt.bkt_update``): a statement is atomic on its own, so the attempt,
its steps, the BKT update, its ``mastery_observations`` row and the outbox rows are written together
or not at all, in one database round trip.

Where an error tag is shown, a teacher override on the guide submission linked to the attempt
replaces the attempt's own tag (DECISIONS.md §3): see :data:`EFFECTIVE_TAG_JOIN`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.store.database import Database

#: Joins ``tag`` = the tag shown for attempt ``a``: a teacher override wins over the attempt's own tag.
EFFECTIVE_TAG_JOIN = """
LEFT JOIN guide_submissions gs ON gs.attempt_id = a.id
LEFT JOIN error_tags tag ON tag.id = COALESCE(gs.override_error_tag_id, a.error_tag_id)
"""

# POST /attempts: one call of record_submitted_attempt() (migration 0013), which resolves the topic,
# picks the verdict and writes the attempt, its steps, the mastery update and the outbox rows. The
# function body holds the statements so that PostgreSQL plans them once per connection.
_SUBMIT_ATTEMPT = """
SELECT * FROM record_submitted_attempt(
    CAST(:attempt_id AS text), CAST(:student_id AS text), CAST(:exercise_id AS text), CAST(:course_id AS text),
    CAST(:topic_ref AS text), CAST(:trace_id AS text), CAST(:final_answer AS text),
    CAST(:candidate_keys AS text[]), CAST(:candidate_tags AS text[]), CAST(:candidate_correct AS boolean[]),
    CAST(:candidate_confidence AS float8[]), CAST(:step_expressions AS text[]), CAST(:step_final AS boolean[]),
    CAST(:stream_body AS jsonb), CAST(:llm_body AS jsonb), CAST(:fallback_statement AS text),
    CAST(:lease_seconds AS float8))
"""


def insert_submitted_attempt(db: Database, *, attempt_id: str, student_id: str, exercise_id: str | None,
                             course_id: str | None, topic_ref: str, trace_id: str, final_answer: str,
                             candidates: Sequence[tuple[str, str, bool, float]],
                             steps: Sequence[tuple[str, bool]], stream_body: str | None,
                             llm_body: str | None, fallback_statement: str,
                             lease_seconds: float) -> dict[str, Any]:
    """Resolve the topic, pick the verdict, write attempt + steps + mastery + outbox; one round trip.

    ``candidates``: ``(routing key or '*', tag, is_correct, confidence)`` per registered routing key
    plus the fallback. ``steps``: ``(expression, is_final)``. ``stream_body``/``llm_body``: JSON of
    the telemetry message and of the LLM request without its topic fields (None = queue not
    configured, no outbox row). The row says what was found (``exercise_found``, ``course_found``,
    ``topic_candidates`` when the reference names no topic or several) and, when the attempt was
    written (``attempt_status`` set), the verdict, the mastery after it and the ``outbox`` rows.
    """
    row = db.fetch_one(_SUBMIT_ATTEMPT, {
        "attempt_id": attempt_id, "student_id": student_id, "exercise_id": exercise_id,
        "course_id": course_id, "topic_ref": topic_ref, "trace_id": trace_id, "final_answer": final_answer,
        "candidate_keys": [c[0] for c in candidates], "candidate_tags": [c[1] for c in candidates],
        "candidate_correct": [c[2] for c in candidates], "candidate_confidence": [float(c[3]) for c in candidates],
        "step_expressions": [s[0] for s in steps], "step_final": [s[1] for s in steps],
        "stream_body": stream_body, "llm_body": llm_body, "fallback_statement": fallback_statement,
        "lease_seconds": float(lease_seconds),
    })
    assert row is not None  # the function always answers one row
    return row


# The generic writer for other paths (graded guide photos): the caller decided the classification.
_RECORD_ATTEMPT = """
WITH attempt AS (
    INSERT INTO attempts (id, assignment_id, exercise_id, student_id, course_id, input_mode, status, final_answer,
                          is_correct, classifier_source, error_tag_id, confidence, ocr_confidence, ocr_provider,
                          trace_id, classified_at, updated_at)
    VALUES (CAST(:attempt_id AS text), CAST(:assignment_id AS text), CAST(:exercise_id AS text), :student_id,
            CAST(:course_id AS text), :input_mode, :status, CAST(:final_answer AS text), :is_correct,
            :classifier_source, (SELECT id FROM error_tags WHERE code = CAST(:error_tag_code AS text)),
            CAST(:confidence AS float8), CAST(:ocr_confidence AS float8), CAST(:ocr_provider AS text), :trace_id,
            CASE WHEN :status = 'CLASSIFIED' THEN now() END, now())
    RETURNING id
)
INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct)
SELECT a.id, s.position - 1, s.content_latex, s.is_correct
FROM attempt a
CROSS JOIN unnest(CAST(:step_contents AS text[]), CAST(:step_correct AS bool[]))
           WITH ORDINALITY AS s(content_latex, is_correct, position)
ON CONFLICT (attempt_id, step_index) DO NOTHING
"""


def insert_recorded_attempt(db: Database, *, attempt_id: str, student_id: str, is_correct: bool, status: str,
                            classifier_source: str, input_mode: str, trace_id: str,
                            error_tag_code: str | None, confidence: float | None,
                            exercise_id: str | None, course_id: str | None, assignment_id: str | None,
                            final_answer: str | None, ocr_confidence: float | None, ocr_provider: str | None,
                            steps: Sequence[tuple[str, bool | None]]) -> None:
    """Write an attempt classified by the caller and its steps (one statement)."""
    db.execute(_RECORD_ATTEMPT, {
        "attempt_id": attempt_id, "student_id": student_id, "is_correct": is_correct, "status": status,
        "classifier_source": classifier_source, "input_mode": input_mode, "trace_id": trace_id,
        "error_tag_code": error_tag_code, "confidence": confidence, "exercise_id": exercise_id,
        "course_id": course_id, "assignment_id": assignment_id, "final_answer": final_answer,
        "ocr_confidence": ocr_confidence, "ocr_provider": ocr_provider,
        "step_contents": [s[0] for s in steps], "step_correct": [s[1] for s in steps],
    })


def apply_bkt_observation(db: Database, *, attempt_id: str, student_id: str, topic_id: str,
                          is_correct: bool) -> dict[str, Any] | None:
    """The attempt's one mastery update (migration 0013): ``mastery_p_known``, ``mastery_trend_7d``;
    None when the topic does not exist. A second call for the same attempt raises IntegrityViolation."""
    return db.fetch_one(
        "SELECT * FROM apply_bkt_observation(CAST(:attempt_id AS text), CAST(:student_id AS text),"
        " CAST(:topic_id AS text), CAST(:is_correct AS boolean))",
        {"attempt_id": attempt_id, "student_id": student_id, "topic_id": topic_id, "is_correct": is_correct})


_INSERT_ADHOC_ATTEMPT = """
WITH
checks AS (
    SELECT CAST(:course_id AS text) IS NULL OR EXISTS (
               SELECT 1 FROM enrollments
               WHERE course_id = CAST(:course_id AS text) AND student_id = :student_id AND status = 'ACTIVE'
           ) AS course_found
),
attempt AS (
    INSERT INTO attempts (id, student_id, course_id, exercise_id, input_mode, status, final_answer, is_correct,
                          classifier_source, error_tag_id, confidence, trace_id, updated_at)
    SELECT CAST(:attempt_id AS text), :student_id, CAST(:course_id AS text), NULL, 'SCAN_ADHOC', 'PENDING',
           :final_answer, false, 'LLM', NULL, NULL, :trace_id, now()
    FROM checks WHERE checks.course_found
    RETURNING id
),
outbox AS (
    INSERT INTO attempt_outbox (attempt_id, queue, body, trace_id, claimed_until, publish_attempts)
    SELECT a.id, 'adhoc_solve', CAST(:body AS jsonb), :trace_id, now() + make_interval(secs => :lease_seconds), 1
    FROM attempt a
    WHERE CAST(:body AS jsonb) IS NOT NULL
    RETURNING queue, body, trace_id, group_id, deduplication_id
)
SELECT checks.course_found, attempt.id AS attempt_id,
       (SELECT json_agg(json_build_object('queue', queue, 'body', body, 'trace_id', trace_id,
                                          'group_id', group_id, 'deduplication_id', deduplication_id))
        FROM outbox) AS outbox
FROM checks LEFT JOIN attempt ON true
"""


def insert_adhoc_attempt(db: Database, *, attempt_id: str, student_id: str, course_id: str | None,
                         final_answer: str, trace_id: str, body: str | None,
                         lease_seconds: float) -> dict[str, Any]:
    """A PENDING ``SCAN_ADHOC`` attempt and its solver message in the outbox (``body`` None = no queue)."""
    row = db.fetch_one(_INSERT_ADHOC_ATTEMPT, {
        "attempt_id": attempt_id, "student_id": student_id, "course_id": course_id,
        "final_answer": final_answer, "trace_id": trace_id, "body": body, "lease_seconds": float(lease_seconds),
    })
    assert row is not None
    return row


# -- reading -----------------------------------------------------------------------------------------

_ATTEMPT_STATUS = f"""
SELECT a.id, a.student_id, a.status, a.is_correct, a.classifier_source, a.confidence,
       tag.code AS error_tag_code, tag.name AS error_tag_name,
       EXISTS (SELECT 1 FROM attempt_outbox o WHERE o.attempt_id = a.id) AS has_unpublished_messages
FROM attempts a
{EFFECTIVE_TAG_JOIN}
WHERE a.id = :attempt_id
"""


def find_attempt_status(db: Database, attempt_id: str) -> dict[str, Any] | None:
    """Status fields of an attempt (tag with the teacher override applied), and whether messages wait."""
    return db.fetch_one(_ATTEMPT_STATUS, {"attempt_id": attempt_id})


_ATTEMPT_DETAIL = f"""
SELECT a.id, a.student_id, a.status, a.is_correct, a.classifier_source, a.confidence,
       tag.code AS error_tag_code, tag.name AS error_tag_name,
       COALESCE((SELECT json_agg(json_build_object('step_index', s.step_index, 'content_latex', s.content_latex,
                                                   'is_correct', s.is_correct) ORDER BY s.step_index)
                 FROM attempt_steps s WHERE s.attempt_id = a.id), '[]'::json) AS steps,
       gs.id AS submission_id, gs.photo_keys, gs.transcription_latex, gs.transcription_json,
       gs.transcription_confidence
FROM attempts a
{EFFECTIVE_TAG_JOIN}
WHERE a.id = :attempt_id
"""


def find_attempt_detail(db: Database, attempt_id: str) -> dict[str, Any] | None:
    """Status fields, ordered steps and the linked guide submission (``submission_id`` None without)."""
    return db.fetch_one(_ATTEMPT_DETAIL, {"attempt_id": attempt_id})


def find_attempt_student(db: Database, attempt_id: str) -> str | None:
    """The student an attempt belongs to (None when the attempt does not exist)."""
    return db.fetch_value("SELECT student_id FROM attempts WHERE id = :attempt_id", {"attempt_id": attempt_id})


_INSERT_ERROR_REPORT = """
WITH reported AS (
    INSERT INTO attempt_error_reports (attempt_id, error_tag_id, reported_by_id, comment, source)
    SELECT :attempt_id, t.id, CAST(:reported_by_id AS text), CAST(:comment AS text), 'FIELD_REPORTED'
    FROM error_tags t
    WHERE t.code = :error_tag_code
    RETURNING id
)
SELECT id FROM reported
"""


def insert_error_report(db: Database, *, attempt_id: str, error_tag_code: str, reported_by_id: str | None,
                        comment: str | None) -> str | None:
    """Record a field report; the report id, or None when the error tag code is unknown."""
    return db.fetch_value(_INSERT_ERROR_REPORT, {
        "attempt_id": attempt_id, "error_tag_code": error_tag_code, "reported_by_id": reported_by_id,
        "comment": comment,
    })


# -- re-classification in place (legacy OCR re-read, DECISIONS.md §3) ------------------------------

_ATTEMPT_FOR_RECLASSIFICATION = """
SELECT a.id, a.student_id, a.status, a.ocr_provider, a.ocr_confidence, a.exercise_id,
       e.content AS exercise_content,
       CASE WHEN jsonb_typeof(e.content -> 'prompt') = 'string' THEN e.content ->> 'prompt' END AS exercise_prompt,
       t.id AS topic_id, t.code AS topic_code, t.domain_id, d.code AS domain_code, sd.code AS subdomain_code
FROM attempts a
LEFT JOIN exercises e ON e.id = a.exercise_id
LEFT JOIN topics t ON t.id = e.topic_id
LEFT JOIN subdomains sd ON sd.id = t.subdomain_id
LEFT JOIN domains d ON d.id = t.domain_id
WHERE a.id = :attempt_id
FOR UPDATE OF a
"""


def lock_attempt_for_reclassification(db: Database, attempt_id: str) -> dict[str, Any] | None:
    """The attempt with its exercise and topic routing fields, row-locked (call inside a transaction)."""
    return db.fetch_one(_ATTEMPT_FOR_RECLASSIFICATION, {"attempt_id": attempt_id})


_UPDATE_RECLASSIFIED_ATTEMPT = """
WITH
updated AS (
    UPDATE attempts SET
        is_correct = :is_correct,
        error_tag_id = (SELECT id FROM error_tags WHERE code = :error_tag_code),
        classifier_source = :classifier_source,
        confidence = :confidence,
        status = :status,
        final_answer = :final_answer,
        ocr_confidence = CAST(:ocr_confidence AS float8),
        ocr_provider = CAST(:ocr_provider AS text),
        classified_at = CASE WHEN :status = 'CLASSIFIED' THEN now() ELSE classified_at END,
        updated_at = now()
    WHERE id = :attempt_id
    RETURNING id
),
new_steps AS (
    SELECT s.position - 1 AS step_index, s.content_latex, s.is_correct
    FROM unnest(CAST(:step_contents AS text[]), CAST(:step_correct AS bool[]))
         WITH ORDINALITY AS s(content_latex, is_correct, position)
),
upserted AS (
    -- Upsert by position and drop the positions beyond the new count: the two touch disjoint rows,
    -- which a delete-then-insert of the same keys in one statement would not.
    INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct)
    SELECT u.id, n.step_index, n.content_latex, n.is_correct FROM updated u CROSS JOIN new_steps n
    ON CONFLICT (attempt_id, step_index) DO UPDATE
        SET content_latex = EXCLUDED.content_latex, is_correct = EXCLUDED.is_correct,
            error_subtag = NULL, error_tag_id = NULL, duration_ms = NULL
),
dropped AS (
    DELETE FROM attempt_steps s USING updated u
    WHERE s.attempt_id = u.id AND s.step_index >= (SELECT count(*) FROM new_steps)
)
SELECT count(*) AS updated FROM updated
"""


def update_reclassified_attempt(db: Database, *, attempt_id: str, is_correct: bool, error_tag_code: str,
                                classifier_source: str, confidence: float, status: str, final_answer: str,
                                ocr_confidence: float | None, ocr_provider: str | None,
                                steps: Sequence[tuple[str, bool | None]]) -> bool:
    """Overwrite an attempt's classification and replace its steps, in one statement (no BKT)."""
    return bool(db.fetch_value(_UPDATE_RECLASSIFIED_ATTEMPT, {
        "attempt_id": attempt_id, "is_correct": is_correct, "error_tag_code": error_tag_code,
        "classifier_source": classifier_source, "confidence": confidence, "status": status,
        "final_answer": final_answer, "ocr_confidence": ocr_confidence, "ocr_provider": ocr_provider,
        "step_contents": [s[0] for s in steps], "step_correct": [s[1] for s in steps],
    }))
