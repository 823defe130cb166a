"""SQL of the hourly alert generator (workers.md §5): set-based, at most two statements per run
whatever the number of courses, students, topics or guides.

1. :func:`load_candidates` — one ``SELECT`` computing, for every live course at once, the facts of
   every alert that may fire (thresholds from ``chalicelib/domain/alert_rules.py`` as parameters),
   returned as a single JSON array. Candidates already raised today are only counted (a probe of
   ``teacher_alerts_dedup_key``), so hourly runs ship just what is new;
2. :func:`insert_alerts` — one ``INSERT … SELECT FROM jsonb_to_recordset … ON CONFLICT DO NOTHING``
   of the alerts the rules decided on (skipped when there are none); the unique index
   ``teacher_alerts_dedup_key`` drops any raised meanwhile (UTC day), also under concurrent runs.

The course, roster and topic CTEs are ``NOT MATERIALIZED``: inlined, the planner keeps the tables'
statistics and hashes the 200,000-row mastery join instead of probing an index per student.

Scoping (DECISIONS.md §4): a course's teacher is its LEAD teacher, else the earliest-added one
(courses without a teacher raise none of the per-course alerts); its students are the ACTIVE
enrollments; mastery rows and attempts count only for topics whose unit's curriculum has the
course's subject. An attempt belongs to a subject through its exercise's topic or, without an
exercise, through its course.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.alert_rules import IGNORED_ERROR_CODES, AlertDraft, Thresholds
from chalicelib.store.database import Database

_CANDIDATES_SQL = """
WITH lead_teacher AS (
    SELECT DISTINCT ON (ct.course_id) ct.course_id, ct.teacher_id
    FROM course_teachers ct
    ORDER BY ct.course_id, (ct.role = 'LEAD') DESC, ct.added_at, ct.teacher_id
),
scope AS NOT MATERIALIZED (
    SELECT c.id AS course_id, c.subject_id, lt.teacher_id
    FROM courses c JOIN lead_teacher lt ON lt.course_id = c.id
    WHERE c.archived_at IS NULL
),
roster AS NOT MATERIALIZED (
    SELECT s.course_id, s.subject_id, s.teacher_id, e.student_id
    FROM scope s JOIN enrollments e ON e.course_id = s.course_id AND e.status = 'ACTIVE'
),
subject_topic AS NOT MATERIALIZED (
    SELECT t.id AS topic_id, t.code AS topic_code, t.unit_id, cu.subject_id
    FROM topics t JOIN units u ON u.id = t.unit_id JOIN curricula cu ON cu.id = u.curriculum_id
),
course_size AS (
    SELECT e.course_id, count(*) AS size
    FROM enrollments e JOIN courses c ON c.id = e.course_id AND c.archived_at IS NULL
    WHERE e.status = 'ACTIVE'
    GROUP BY e.course_id
),
at_risk AS (
    -- Weak active topics only: the filter runs before the join grows, so this pass stays small.
    SELECT jsonb_build_object(
               'type', 'AT_RISK_STUDENT', 'teacher_id', w.teacher_id, 'course_id', w.course_id,
               'student_id', w.student_id, 'display_name', s.display_name, 'weak_topics', w.topics,
               'dedup_ref', w.student_id) AS candidate
    FROM (
        SELECT r.course_id, r.teacher_id, r.student_id,
               jsonb_agg(jsonb_build_object('topic_id', m.topic_id, 'code', st.topic_code, 'p_known', m.p_known)
                         ORDER BY st.topic_code, m.topic_id) AS topics
        FROM roster r
        JOIN student_topic_mastery m ON m.student_id = r.student_id
        JOIN subject_topic st ON st.topic_id = m.topic_id AND st.subject_id = r.subject_id
        WHERE m.attempts_count >= 1 AND m.p_known < :at_risk_floor
        GROUP BY r.course_id, r.teacher_id, r.student_id
        HAVING count(*) >= :at_risk_min_topics
    ) w JOIN students s ON s.id = w.student_id
),
topic_stats AS (
    -- One pass over every mastery row of the course's subject, per course and topic; units roll up
    -- from these sums (the unit mean is over rows, not over topic means).
    SELECT r.course_id, m.topic_id, count(*) AS n_rows, sum(m.p_known) AS sum_p_known,
           count(*) FILTER (WHERE m.p_known < :struggle_floor) AS struggling
    FROM roster r
    JOIN student_topic_mastery m ON m.student_id = r.student_id
    JOIN subject_topic st ON st.topic_id = m.topic_id AND st.subject_id = r.subject_id
    GROUP BY r.course_id, m.topic_id
),
units_off_track AS (
    SELECT jsonb_build_object(
               'type', 'UNIT_OFF_TRACK', 'teacher_id', s.teacher_id, 'course_id', s.course_id,
               'unit_id', u.id, 'unit_name', u.name, 'avg_p_known', per_unit.avg_p_known,
               'dedup_ref', u.id) AS candidate
    FROM (
        SELECT ts.course_id, t.unit_id, sum(ts.sum_p_known) / sum(ts.n_rows) AS avg_p_known
        FROM topic_stats ts JOIN topics t ON t.id = ts.topic_id
        GROUP BY ts.course_id, t.unit_id
    ) per_unit
    JOIN units u ON u.id = per_unit.unit_id
    JOIN scope s ON s.course_id = per_unit.course_id
    WHERE per_unit.avg_p_known < :unit_floor
),
struggling_topics AS (
    SELECT jsonb_build_object(
               'type', 'COMMON_ERROR_IN_TOPIC', 'teacher_id', s.teacher_id, 'course_id', ts.course_id,
               'topic_id', ts.topic_id, 'topic_code', t.code, 'struggling_students', ts.struggling,
               'course_size', cs.size, 'dedup_ref', ts.topic_id) AS candidate
    FROM topic_stats ts
    JOIN course_size cs ON cs.course_id = ts.course_id
    JOIN scope s ON s.course_id = ts.course_id
    JOIN topics t ON t.id = ts.topic_id
    WHERE ts.struggling::float8 / cs.size >= :struggle_ratio
),
dropped AS (
    SELECT jsonb_build_object(
               'type', 'STUDENT_DROP', 'teacher_id', r.teacher_id, 'course_id', r.course_id,
               'student_id', r.student_id, 'display_name', s.display_name,
               'last_attempt_at', latest.created_at, 'dedup_ref', r.student_id) AS candidate
    FROM roster r
    JOIN students s ON s.id = r.student_id
    LEFT JOIN LATERAL (
        -- The latest attempt in the course's subject: newest first on
        -- attempts_student_id_created_at_idx, stopping at the first attempt of the subject.
        SELECT a.created_at
        FROM attempts a
        WHERE a.student_id = r.student_id
          AND r.subject_id = CASE
              WHEN a.exercise_id IS NOT NULL THEN (
                  SELECT cu.subject_id FROM exercises x JOIN topics t ON t.id = x.topic_id
                  JOIN units u ON u.id = t.unit_id JOIN curricula cu ON cu.id = u.curriculum_id
                  WHERE x.id = a.exercise_id)
              ELSE (SELECT c.subject_id FROM courses c WHERE c.id = a.course_id) END
        ORDER BY a.created_at DESC
        LIMIT 1
    ) latest ON true
    WHERE latest.created_at IS NULL OR latest.created_at < :inactive_before
),
live_guide AS (
    SELECT g.id AS guide_id, g.course_id, g.created_by_teacher_id AS teacher_id, g.title, cs.size AS course_size
    FROM guides g JOIN course_size cs ON cs.course_id = g.course_id
    WHERE g.status = 'PUBLISHED' AND g.archived_at IS NULL
),
graded AS (
    SELECT gs.guide_id, gs.guide_question_id, gs.student_id, gs.attempt_id, gs.override_error_tag_id
    FROM guide_submissions gs JOIN live_guide lg ON lg.guide_id = gs.guide_id
    WHERE gs.status = 'GRADED'
),
guides_complete AS (
    SELECT jsonb_build_object(
               'type', 'GUIDE_GRADING_COMPLETE', 'teacher_id', lg.teacher_id, 'course_id', lg.course_id,
               'guide_id', lg.guide_id, 'title', lg.title, 'graded_students', done.students,
               'course_size', lg.course_size, 'dedup_ref', lg.guide_id) AS candidate
    FROM (SELECT guide_id, count(*) AS students
          FROM (SELECT DISTINCT guide_id, student_id FROM graded) pairs
          GROUP BY guide_id) done
    JOIN live_guide lg ON lg.guide_id = done.guide_id
    WHERE done.students::float8 / lg.course_size >= :completion_ratio
),
latest_report AS (
    SELECT DISTINCT ON (r.attempt_id) r.attempt_id, r.error_tag_id
    FROM attempt_error_reports r
    WHERE r.attempt_id IN (SELECT attempt_id FROM graded)
    ORDER BY r.attempt_id, r.created_at DESC, r.id DESC
),
definitive_error AS (
    -- Teacher override, else the latest field report, else the attempt's own tag (DECISIONS.md §4).
    SELECT DISTINCT g.guide_id, g.guide_question_id, g.student_id, et.code
    FROM graded g
    LEFT JOIN latest_report lr ON lr.attempt_id = g.attempt_id
    LEFT JOIN attempts a ON a.id = g.attempt_id
    JOIN error_tags et ON et.id = COALESCE(g.override_error_tag_id, lr.error_tag_id, a.error_tag_id)
    WHERE et.code NOT IN (SELECT jsonb_array_elements_text(CAST(:ignored_codes AS jsonb)))
),
guide_errors AS (
    SELECT jsonb_build_object(
               'type', 'GUIDE_COMMON_ERROR', 'teacher_id', lg.teacher_id, 'course_id', lg.course_id,
               'guide_id', lg.guide_id, 'question_id', e.guide_question_id, 'error_code', e.code,
               'n_students', e.students, 'course_size', lg.course_size,
               'dedup_ref', e.guide_question_id || ':' || e.code) AS candidate
    FROM (SELECT guide_id, guide_question_id, code, count(*) AS students
          FROM definitive_error GROUP BY guide_id, guide_question_id, code) e
    JOIN live_guide lg ON lg.guide_id = e.guide_id
    WHERE e.students::float8 / lg.course_size >= :common_error_ratio
),
candidate AS (
    SELECT c.candidate, EXISTS (
               -- Raised already today (UTC)? Probes teacher_alerts_dedup_key, so that hourly runs
               -- ship only new alerts; the unique index stays the guarantee.
               SELECT 1 FROM teacher_alerts ta
               WHERE ta.teacher_id = c.candidate ->> 'teacher_id'
                 AND ta.alert_type = c.candidate ->> 'type'
                 AND ta.course_id = c.candidate ->> 'course_id'
                 AND (ta.payload ->> 'dedup_ref') = c.candidate ->> 'dedup_ref'
                 AND ((ta.created_at AT TIME ZONE 'UTC')::date) = (now() AT TIME ZONE 'UTC')::date
                 AND ta.payload ? 'dedup_ref') AS raised
    FROM (SELECT candidate FROM at_risk
          UNION ALL SELECT candidate FROM dropped
          UNION ALL SELECT candidate FROM units_off_track
          UNION ALL SELECT candidate FROM struggling_topics
          UNION ALL SELECT candidate FROM guides_complete
          UNION ALL SELECT candidate FROM guide_errors) c
)
SELECT (SELECT count(*) FROM scope) AS courses,
       (SELECT count(*) FROM candidate WHERE raised) AS already_raised,
       (SELECT coalesce(jsonb_agg(candidate), '[]'::jsonb) FROM candidate WHERE NOT raised) AS candidates
"""

_INSERT_SQL = """
WITH inserted AS (
    INSERT INTO teacher_alerts (teacher_id, course_id, topic_id, student_id, alert_type, severity, payload)
    SELECT a.teacher_id, a.course_id, a.topic_id, a.student_id, a.alert_type, a.severity, a.payload
    FROM jsonb_to_recordset(CAST(:alerts AS jsonb))
         AS a(teacher_id text, course_id text, topic_id text, student_id text, alert_type text, severity text,
              payload jsonb)
    ON CONFLICT DO NOTHING
    RETURNING id, teacher_id, course_id, topic_id, student_id, alert_type, severity, payload ->> 'dedup_ref' AS dedup_ref
)
-- One JSON value rather than a row per alert: decoding it is one C call instead of thousands of rows.
SELECT coalesce(jsonb_agg(to_jsonb(inserted)), '[]'::jsonb) AS rows FROM inserted
"""


@dataclass(frozen=True)
class CandidateFacts:
    """What one run found: the number of courses scanned and the facts of every possible alert."""

    courses: int
    candidates: list[dict[str, Any]]  # not raised yet today
    already_raised: int  # candidates whose alert exists today already (not shipped)


def load_candidates(db: Database, thresholds: Thresholds, now: datetime) -> CandidateFacts:
    """Every alert candidate of every live course, in one statement."""
    row = db.fetch_one(_CANDIDATES_SQL, {
        "at_risk_floor": thresholds.at_risk_floor,
        "at_risk_min_topics": thresholds.at_risk_min_topics,
        "inactive_before": now - thresholds.inactivity,
        "unit_floor": thresholds.unit_off_track_floor,
        "struggle_floor": thresholds.topic_struggle_floor,
        "struggle_ratio": thresholds.topic_struggle_ratio,
        "completion_ratio": thresholds.guide_completion_ratio,
        "common_error_ratio": thresholds.guide_common_error_ratio,
        "ignored_codes": json.dumps(list(IGNORED_ERROR_CODES)),
    })
    candidates = row["candidates"]
    if isinstance(candidates, str):  # jsonb arrives decoded; text only from unusual type maps
        candidates = json.loads(candidates)
    return CandidateFacts(courses=int(row["courses"]), candidates=candidates,
                          already_raised=int(row["already_raised"]))


def insert_alerts(db: Database, alerts: list[AlertDraft]) -> list[dict[str, Any]]:
    """Insert the alerts not raised yet today (UTC); returns the rows actually inserted."""
    if not alerts:
        return []
    rows = [{"teacher_id": a.teacher_id, "course_id": a.course_id, "topic_id": a.topic_id,
             "student_id": a.student_id, "alert_type": a.alert_type, "severity": a.severity,
             "payload": a.payload} for a in alerts]
    inserted = db.fetch_value(_INSERT_SQL, {"alerts": json.dumps(rows, ensure_ascii=False)})
    return json.loads(inserted) if isinstance(inserted, str) else inserted
