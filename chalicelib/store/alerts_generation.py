"""SQL of the hourly alert generator (workers.md §5): set-based, two statements per run whatever the
number of courses, students, topics or guides.

1. :func:`load_candidates` — one ``SELECT`` computing, for every live course at once, the facts of
   every alert that may fire (thresholds from ``chalicelib/domain/alert_rules.py`` as parameters),
   returned as a single JSON array;
2. :func:`insert_alerts` — one ``INSERT … SELECT FROM jsonb_to_recordset … ON CONFLICT DO NOTHING``
   of the alerts the rules decided on; the unique index ``teacher_alerts_dedup_key`` drops those
   already raised today (UTC), also under concurrent runs.

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
scope AS (
    SELECT c.id AS course_id, c.subject_id, lt.teacher_id
    FROM courses c JOIN lead_teacher lt ON lt.course_id = c.id
    WHERE c.archived_at IS NULL
),
roster AS (
    SELECT s.course_id, s.subject_id, s.teacher_id, e.student_id
    FROM scope s JOIN enrollments e ON e.course_id = s.course_id AND e.status = 'ACTIVE'
),
subject_topic AS (
    SELECT t.id AS topic_id, t.code AS topic_code, u.id AS unit_id, u.name AS unit_name, cu.subject_id
    FROM topics t JOIN units u ON u.id = t.unit_id JOIN curricula cu ON cu.id = u.curriculum_id
),
mastery AS (
    SELECT r.course_id, r.teacher_id, r.student_id, st.topic_id, st.topic_code, st.unit_id, st.unit_name,
           m.p_known, m.attempts_count
    FROM roster r
    JOIN student_topic_mastery m ON m.student_id = r.student_id
    JOIN subject_topic st ON st.topic_id = m.topic_id AND st.subject_id = r.subject_id
),
course_size AS (
    SELECT e.course_id, count(*) AS size
    FROM enrollments e JOIN courses c ON c.id = e.course_id AND c.archived_at IS NULL
    WHERE e.status = 'ACTIVE'
    GROUP BY e.course_id
),
at_risk AS (
    SELECT jsonb_build_object(
               'type', 'AT_RISK_STUDENT', 'teacher_id', w.teacher_id, 'course_id', w.course_id,
               'student_id', w.student_id, 'display_name', s.display_name, 'weak_topics', w.topics) AS candidate
    FROM (
        SELECT course_id, teacher_id, student_id,
               jsonb_agg(jsonb_build_object('topic_id', topic_id, 'code', topic_code, 'p_known', p_known)
                         ORDER BY topic_code, topic_id) AS topics
        FROM mastery
        WHERE attempts_count >= 1 AND p_known < :at_risk_floor
        GROUP BY course_id, teacher_id, student_id
        HAVING count(*) >= :at_risk_min_topics
    ) w JOIN students s ON s.id = w.student_id
),
dropped AS (
    SELECT jsonb_build_object(
               'type', 'STUDENT_DROP', 'teacher_id', r.teacher_id, 'course_id', r.course_id,
               'student_id', r.student_id, 'display_name', s.display_name,
               'last_attempt_at', latest.created_at) AS candidate
    FROM roster r
    JOIN students s ON s.id = r.student_id
    LEFT JOIN LATERAL (
        -- The student's latest attempt in the course's subject: newest first on
        -- attempts_student_id_created_at_idx, stopping at the first one of the subject.
        SELECT a.created_at
        FROM attempts a
        LEFT JOIN exercises x ON x.id = a.exercise_id
        LEFT JOIN topics xt ON xt.id = x.topic_id
        LEFT JOIN units xu ON xu.id = xt.unit_id
        LEFT JOIN curricula xc ON xc.id = xu.curriculum_id
        LEFT JOIN courses ac ON ac.id = a.course_id
        WHERE a.student_id = r.student_id
          AND CASE WHEN a.exercise_id IS NOT NULL THEN xc.subject_id ELSE ac.subject_id END = r.subject_id
        ORDER BY a.created_at DESC
        LIMIT 1
    ) latest ON true
    WHERE latest.created_at IS NULL OR latest.created_at < :inactive_before
),
units_off_track AS (
    SELECT jsonb_build_object(
               'type', 'UNIT_OFF_TRACK', 'teacher_id', teacher_id, 'course_id', course_id,
               'unit_id', unit_id, 'unit_name', min(unit_name), 'avg_p_known', avg(p_known)) AS candidate
    FROM mastery
    GROUP BY course_id, teacher_id, unit_id
    HAVING avg(p_known) < :unit_floor
),
struggling_topics AS (
    SELECT jsonb_build_object(
               'type', 'COMMON_ERROR_IN_TOPIC', 'teacher_id', m.teacher_id, 'course_id', m.course_id,
               'topic_id', m.topic_id, 'topic_code', min(m.topic_code),
               'struggling_students', count(*) FILTER (WHERE m.p_known < :struggle_floor),
               'course_size', cs.size) AS candidate
    FROM mastery m JOIN course_size cs ON cs.course_id = m.course_id
    GROUP BY m.course_id, m.teacher_id, m.topic_id, cs.size
    HAVING (count(*) FILTER (WHERE m.p_known < :struggle_floor))::float8 / cs.size >= :struggle_ratio
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
               'guide_id', lg.guide_id, 'title', lg.title, 'graded_students', count(DISTINCT g.student_id),
               'course_size', lg.course_size) AS candidate
    FROM live_guide lg JOIN graded g ON g.guide_id = lg.guide_id
    GROUP BY lg.guide_id, lg.course_id, lg.teacher_id, lg.title, lg.course_size
    HAVING count(DISTINCT g.student_id)::float8 / lg.course_size >= :completion_ratio
),
latest_report AS (
    SELECT DISTINCT ON (r.attempt_id) r.attempt_id, r.error_tag_id
    FROM attempt_error_reports r
    WHERE r.attempt_id IN (SELECT attempt_id FROM graded)
    ORDER BY r.attempt_id, r.created_at DESC, r.id DESC
),
definitive_error AS (
    -- Teacher override, else the latest field report, else the attempt's own tag (DECISIONS.md §4).
    SELECT g.guide_id, g.guide_question_id, g.student_id, et.code
    FROM graded g
    LEFT JOIN latest_report lr ON lr.attempt_id = g.attempt_id
    LEFT JOIN attempts a ON a.id = g.attempt_id
    JOIN error_tags et ON et.id = COALESCE(g.override_error_tag_id, lr.error_tag_id, a.error_tag_id)
    WHERE et.code NOT IN (SELECT jsonb_array_elements_text(CAST(:ignored_codes AS jsonb)))
),
guide_errors AS (
    SELECT jsonb_build_object(
               'type', 'GUIDE_COMMON_ERROR', 'teacher_id', lg.teacher_id, 'course_id', lg.course_id,
               'guide_id', lg.guide_id, 'question_id', d.guide_question_id, 'error_code', d.code,
               'n_students', count(DISTINCT d.student_id), 'course_size', lg.course_size) AS candidate
    FROM definitive_error d JOIN live_guide lg ON lg.guide_id = d.guide_id
    GROUP BY lg.guide_id, lg.course_id, lg.teacher_id, lg.course_size, d.guide_question_id, d.code
    HAVING count(DISTINCT d.student_id)::float8 / lg.course_size >= :common_error_ratio
)
SELECT (SELECT count(*) FROM scope) AS courses,
       (SELECT coalesce(jsonb_agg(candidate), '[]'::jsonb) FROM (
            SELECT candidate FROM at_risk
            UNION ALL SELECT candidate FROM dropped
            UNION ALL SELECT candidate FROM units_off_track
            UNION ALL SELECT candidate FROM struggling_topics
            UNION ALL SELECT candidate FROM guides_complete
            UNION ALL SELECT candidate FROM guide_errors
       ) all_candidates) AS candidates
"""

_INSERT_SQL = """
INSERT INTO teacher_alerts (teacher_id, course_id, topic_id, student_id, alert_type, severity, payload)
SELECT a.teacher_id, a.course_id, a.topic_id, a.student_id, a.alert_type, a.severity, a.payload
FROM jsonb_to_recordset(CAST(:alerts AS jsonb))
     AS a(teacher_id text, course_id text, topic_id text, student_id text, alert_type text, severity text,
          payload jsonb)
ON CONFLICT DO NOTHING
RETURNING id, teacher_id, course_id, topic_id, student_id, alert_type, severity, payload ->> 'dedup_ref' AS dedup_ref
"""


@dataclass(frozen=True)
class CandidateFacts:
    """What one run found: the number of courses scanned and the facts of every possible alert."""

    courses: int
    candidates: list[dict[str, Any]]


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
    return CandidateFacts(courses=int(row["courses"]), candidates=candidates)


def insert_alerts(db: Database, alerts: list[AlertDraft]) -> list[dict[str, Any]]:
    """Insert the alerts not raised yet today (UTC); returns the rows actually inserted."""
    if not alerts:
        return []
    rows = [{"teacher_id": a.teacher_id, "course_id": a.course_id, "topic_id": a.topic_id,
             "student_id": a.student_id, "alert_type": a.alert_type, "severity": a.severity,
             "payload": a.payload} for a in alerts]
    return db.fetch_all(_INSERT_SQL, {"alerts": json.dumps(rows, ensure_ascii=False)})
