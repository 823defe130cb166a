"""Queries on attempts, their steps, field reports and the mastery update an attempt causes.

The writes are single statements (data-modifying CTEs): a statement is atomic on its own, so the
attempt, its steps, the BKT update of ``student_topic_mastery`` (``bkt_update()`` of migration 0011,
the SQL twin of ``chalicelib.domain.bkt.bkt_update``), its ``mastery_observations`` row and the
outbox rows are written together or not at all, in one database round trip.

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

# The BKT write, shared by every statement that records an observed answer. It reads the CTE
# ``observed(student_id, topic_id, p_l0, p_transit, p_slip, p_guess, is_correct)`` (zero rows = no
# mastery update) and the ``:attempt_id`` parameter. The upsert reads the stored prior under the
# row lock (no lost update between concurrent attempts); trend_7d is p_known now minus the p_known
# of the latest observation at least 7 days old (NULL without one, DECISIONS.md §3).
_MASTERY_UPDATE_CTES = """
trend_base AS (
    SELECT o.p_known
    FROM mastery_observations o JOIN observed ON o.student_id = observed.student_id
                                             AND o.topic_id = observed.topic_id
    WHERE o.observed_at <= now() - interval '7 days'
    ORDER BY o.observed_at DESC
    LIMIT 1
),
mastery AS (
    INSERT INTO student_topic_mastery AS m
        (student_id, topic_id, p_known, attempts_count, last_attempt_at, trend_7d, updated_at)
    SELECT o.student_id, o.topic_id, bkt_update(o.p_l0, o.p_transit, o.p_slip, o.p_guess, o.is_correct), 1, now(),
           bkt_update(o.p_l0, o.p_transit, o.p_slip, o.p_guess, o.is_correct) - (SELECT p_known FROM trend_base),
           now()
    FROM observed o
    ON CONFLICT (student_id, topic_id) DO UPDATE SET
        p_known = (SELECT bkt_update(m.p_known, o.p_transit, o.p_slip, o.p_guess, o.is_correct) FROM observed o),
        attempts_count = m.attempts_count + 1,
        last_attempt_at = now(),
        trend_7d = (SELECT bkt_update(m.p_known, o.p_transit, o.p_slip, o.p_guess, o.is_correct) FROM observed o)
                   - (SELECT p_known FROM trend_base),
        updated_at = now()
    RETURNING m.p_known, m.trend_7d
),
observation AS (
    INSERT INTO mastery_observations (attempt_id, student_id, topic_id, is_correct, p_known, observed_at)
    SELECT CAST(:attempt_id AS text), o.student_id, o.topic_id, o.is_correct, mastery.p_known, now()
    FROM observed o, mastery
)"""

# POST /attempts in one statement. The topic is resolved here (DECISIONS.md §3: through the exercise
# when one is given, else the reference is a topic id, a qualified code <unit code>/<topic code> or a
# bare code — the first kind that matches wins, a bare code matching several topics is ambiguous),
# and the rule engine's verdict for the topic's routing key is picked among the candidates the
# service computed for every registered key ('*' = the fallback for unregistered keys): the engine
# is pure and takes microseconds, a round trip to learn the routing key first would cost more.
_SUBMIT_ATTEMPT = f"""
WITH
exercise AS (
    SELECT e.id, e.topic_id,
           CASE WHEN jsonb_typeof(e.content -> 'prompt') = 'string' THEN e.content ->> 'prompt' END AS prompt
    FROM exercises e
    WHERE e.id = CAST(:exercise_id AS text)
),
matches AS (
    SELECT t.id, 0 AS kind FROM topics t WHERE t.id = (SELECT topic_id FROM exercise)
    UNION ALL
    SELECT t.id, 1 FROM topics t WHERE CAST(:exercise_id AS text) IS NULL AND t.id = :topic_ref
    UNION ALL
    SELECT t.id, 2 FROM topics t JOIN units u ON u.id = t.unit_id
    WHERE CAST(:exercise_id AS text) IS NULL AND strpos(:topic_ref, '/') > 0
      AND u.code = split_part(:topic_ref, '/', 1) AND t.code = substr(:topic_ref, strpos(:topic_ref, '/') + 1)
    UNION ALL
    SELECT t.id, 3 FROM topics t WHERE CAST(:exercise_id AS text) IS NULL AND t.code = :topic_ref
),
resolved AS (
    SELECT DISTINCT id FROM matches WHERE kind = (SELECT min(kind) FROM matches)
),
topic AS (
    SELECT t.id, t.code, t.domain_id, sd.code AS subdomain_code,
           t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess,
           CASE WHEN sd.code IS NULL THEN 'UNKNOWN' ELSE COALESCE(d.code, '') || '_' || sd.code END AS routing_key
    FROM resolved r
    JOIN topics t ON t.id = r.id
    LEFT JOIN subdomains sd ON sd.id = t.subdomain_id
    LEFT JOIN domains d ON d.id = t.domain_id
    WHERE (SELECT count(*) FROM resolved) = 1
),
checks AS (
    SELECT CAST(:exercise_id AS text) IS NULL OR EXISTS (SELECT 1 FROM exercise) AS exercise_found,
           CAST(:course_id AS text) IS NULL OR EXISTS (
               SELECT 1 FROM enrollments
               WHERE course_id = CAST(:course_id AS text) AND student_id = :student_id AND status = 'ACTIVE'
           ) AS course_found
),
verdict AS (
    SELECT topic.*, c.tag, c.is_correct, c.confidence
    FROM topic
    CROSS JOIN checks
    CROSS JOIN LATERAL (
        SELECT c.tag, c.is_correct, c.confidence
        FROM unnest(CAST(:candidate_keys AS text[]), CAST(:candidate_tags AS text[]),
                    CAST(:candidate_correct AS bool[]), CAST(:candidate_confidence AS float8[]))
             AS c(routing_key, tag, is_correct, confidence)
        WHERE c.routing_key IN (topic.routing_key, '*')
        ORDER BY c.routing_key = '*'
        LIMIT 1
    ) c
    WHERE checks.exercise_found AND checks.course_found
),
attempt AS (
    INSERT INTO attempts (id, exercise_id, student_id, course_id, input_mode, status, final_answer, is_correct,
                          classifier_source, error_tag_id, confidence, trace_id, classified_at, updated_at)
    SELECT CAST(:attempt_id AS text), CAST(:exercise_id AS text), :student_id, CAST(:course_id AS text), 'DIGITAL',
           CASE WHEN v.tag = 'UNCLASSIFIED' THEN 'PENDING' ELSE 'CLASSIFIED' END,
           :final_answer, v.is_correct,
           CASE WHEN v.tag = 'UNCLASSIFIED' THEN 'LLM' ELSE 'RULE' END,
           (SELECT id FROM error_tags WHERE code = v.tag), v.confidence, :trace_id,
           CASE WHEN v.tag = 'UNCLASSIFIED' THEN NULL ELSE now() END, now()
    FROM verdict v
    RETURNING id, status, classifier_source
),
steps AS (
    INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct)
    SELECT a.id, s.position - 1, s.expression, CASE WHEN s.is_final THEN v.is_correct END
    FROM attempt a
    CROSS JOIN verdict v
    CROSS JOIN unnest(CAST(:step_expressions AS text[]), CAST(:step_final AS bool[]))
               WITH ORDINALITY AS s(expression, is_final, position)
),
observed AS (
    SELECT :student_id AS student_id, v.id AS topic_id, v.bkt_p_l0 AS p_l0, v.bkt_p_transit AS p_transit,
           v.bkt_p_slip AS p_slip, v.bkt_p_guess AS p_guess, v.is_correct
    FROM verdict v JOIN attempt ON true
),
{_MASTERY_UPDATE_CTES},
outbox AS (
    INSERT INTO attempt_outbox (attempt_id, queue, body, trace_id, group_id, deduplication_id,
                                claimed_until, publish_attempts)
    SELECT a.id, 'attempt_stream', CAST(:stream_body AS jsonb), :trace_id, :student_id, a.id,
           now() + make_interval(secs => :lease_seconds), 1
    FROM attempt a
    WHERE CAST(:stream_body AS jsonb) IS NOT NULL
    UNION ALL
    SELECT a.id, 'llm_classify',
           CAST(:llm_body AS jsonb) || jsonb_build_object(
               'topic', v.code, 'domain_id', v.domain_id, 'subdomain_code', v.subdomain_code,
               'problem_statement', COALESCE((SELECT prompt FROM exercise), :fallback_statement)),
           :trace_id, NULL, NULL, now() + make_interval(secs => :lease_seconds), 1
    FROM attempt a CROSS JOIN verdict v
    WHERE v.tag = 'UNCLASSIFIED' AND CAST(:llm_body AS jsonb) IS NOT NULL
    RETURNING queue, body, trace_id, group_id, deduplication_id
)
SELECT checks.exercise_found, checks.course_found,
       (SELECT count(*) FROM resolved) AS topic_matches,
       (SELECT array_agg(u.code || '/' || t.code ORDER BY u.code, t.code)
        FROM resolved r JOIN topics t ON t.id = r.id JOIN units u ON u.id = t.unit_id) AS topic_candidates,
       attempt.id AS attempt_id, attempt.status, attempt.classifier_source,
       verdict.tag, verdict.is_correct, verdict.confidence,
       mastery.p_known, mastery.trend_7d,
       (SELECT json_agg(json_build_object('queue', queue, 'body', body, 'trace_id', trace_id,
                                          'group_id', group_id, 'deduplication_id', deduplication_id))
        FROM outbox) AS outbox
FROM checks
LEFT JOIN verdict ON true
LEFT JOIN attempt ON true
LEFT JOIN mastery ON true
"""


def insert_submitted_attempt(db: Database, *, attempt_id: str, student_id: str, exercise_id: str | None,
                             course_id: str | None, topic_ref: str, trace_id: str, final_answer: str,
                             candidates: Sequence[tuple[str, str, bool, float]],
                             steps: Sequence[tuple[str, bool]], stream_body: str | None,
                             llm_body: str | None, fallback_statement: str,
                             lease_seconds: float) -> dict[str, Any]:
    """Resolve the topic, pick the verdict, write attempt + steps + mastery + outbox; one statement.

    ``candidates``: ``(routing key or '*', tag, is_correct, confidence)`` per registered routing key
    plus the fallback. ``steps``: ``(expression, is_final)``. ``stream_body``/``llm_body``: JSON of
    the telemetry message and of the LLM request without its topic fields (None = queue not
    configured, no outbox row). The row says what was found (``exercise_found``, ``course_found``,
    ``topic_matches`` with ``topic_candidates``); ``attempt_id`` is None when nothing was written.
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
    assert row is not None  # the statement always answers one row
    return row


# The generic writer for other paths (graded guide photos): the caller decided the classification.
_RECORD_ATTEMPT = f"""
WITH
attempt AS (
    INSERT INTO attempts (id, assignment_id, exercise_id, student_id, course_id, input_mode, status, final_answer,
                          is_correct, classifier_source, error_tag_id, confidence, ocr_confidence, ocr_provider,
                          trace_id, classified_at, updated_at)
    VALUES (CAST(:attempt_id AS text), CAST(:assignment_id AS text), CAST(:exercise_id AS text), :student_id,
            CAST(:course_id AS text), :input_mode, :status, CAST(:final_answer AS text), :is_correct,
            :classifier_source, (SELECT id FROM error_tags WHERE code = CAST(:error_tag_code AS text)),
            CAST(:confidence AS float8), CAST(:ocr_confidence AS float8), CAST(:ocr_provider AS text), :trace_id,
            CASE WHEN :status = 'CLASSIFIED' THEN now() END, now())
    RETURNING id
),
steps AS (
    INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct)
    SELECT a.id, s.position - 1, s.content_latex, s.is_correct
    FROM attempt a
    CROSS JOIN unnest(CAST(:step_contents AS text[]), CAST(:step_correct AS bool[]))
               WITH ORDINALITY AS s(content_latex, is_correct, position)
    ON CONFLICT (attempt_id, step_index) DO NOTHING
),
observed AS (
    SELECT CAST(:student_id AS text) AS student_id, t.id AS topic_id, t.bkt_p_l0 AS p_l0,
           t.bkt_p_transit AS p_transit, t.bkt_p_slip AS p_slip, t.bkt_p_guess AS p_guess,
           CAST(:is_correct AS boolean) AS is_correct
    FROM topics t JOIN attempt ON true
    WHERE t.id = CAST(:topic_id AS text)
),
{_MASTERY_UPDATE_CTES}
SELECT attempt.id AS attempt_id, mastery.p_known, mastery.trend_7d,
       (SELECT count(*) FROM observed) = 1 AS topic_found
FROM attempt LEFT JOIN mastery ON true
"""


def insert_recorded_attempt(db: Database, *, attempt_id: str, student_id: str, is_correct: bool, status: str,
                            classifier_source: str, input_mode: str, trace_id: str,
                            error_tag_code: str | None, confidence: float | None, topic_id: str | None,
                            exercise_id: str | None, course_id: str | None, assignment_id: str | None,
                            final_answer: str | None, ocr_confidence: float | None, ocr_provider: str | None,
                            steps: Sequence[tuple[str, bool | None]]) -> dict[str, Any]:
    """Write an attempt classified by the caller, its steps and (with ``topic_id``) its BKT update.

    Returns ``attempt_id``, ``p_known``/``trend_7d`` (None without a mastery update) and
    ``topic_found``.
    """
    row = db.fetch_one(_RECORD_ATTEMPT, {
        "attempt_id": attempt_id, "student_id": student_id, "is_correct": is_correct, "status": status,
        "classifier_source": classifier_source, "input_mode": input_mode, "trace_id": trace_id,
        "error_tag_code": error_tag_code, "confidence": confidence, "topic_id": topic_id,
        "exercise_id": exercise_id, "course_id": course_id, "assignment_id": assignment_id,
        "final_answer": final_answer, "ocr_confidence": ocr_confidence, "ocr_provider": ocr_provider,
        "step_contents": [s[0] for s in steps], "step_correct": [s[1] for s in steps],
    })
    assert row is not None
    return row


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
