"""Queries on mastery (``student_topic_mastery``) and the attempt history the mastery views read."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.identity import PLACEHOLDER_STUDENT_NAME
from chalicelib.store.attempts import EFFECTIVE_TAG_JOIN
from chalicelib.store.database import Database

_STUDENT_MASTERY = """
SELECT m.student_id, m.topic_id, t.code AS topic_code, t.name AS topic_name, m.p_known, m.attempts_count,
       m.trend_7d, m.last_attempt_at
FROM student_topic_mastery m JOIN topics t ON t.id = m.topic_id
WHERE m.student_id = :student_id
ORDER BY t.code, t.id
"""


def student_mastery(db: Database, student_id: str) -> list[dict[str, Any]]:
    """Every mastery record of a student with its topic's code and name."""
    return db.fetch_all(_STUDENT_MASTERY, {"student_id": student_id})


# The display-name rule of api.md §4.4: the placeholder name gives way to the e-mail's local part.
_COURSE_ROSTER = """
SELECT e.student_id,
       CASE WHEN s.display_name = :placeholder AND u.email IS NOT NULL THEN split_part(u.email, '@', 1)
            ELSE s.display_name END AS display_name
FROM enrollments e
JOIN students s ON s.id = e.student_id
LEFT JOIN users u ON u.id = s.user_id
WHERE e.course_id = :course_id AND e.status = 'ACTIVE'
ORDER BY e.joined_at, e.student_id
"""


def course_roster(db: Database, course_id: str) -> list[dict[str, Any]]:
    """ACTIVE enrolments of a course in joining order, with the shown display name."""
    return db.fetch_all(_COURSE_ROSTER, {"course_id": course_id, "placeholder": PLACEHOLDER_STUDENT_NAME})


_SUBDOMAIN_COLUMNS = """
       sd.id AS subdomain_id, sd.code AS subdomain_code, sd.name AS subdomain_name,
       d.id AS domain_id, d.code AS domain_code, d.name AS domain_name"""

# Per enrolled student, the ``:per_student`` most recent attempts in the course (index
# attempts_course_id_student_id_created_at_idx), each placed in a subdomain: the shown tag's
# (domain, subdomain) when that subdomain exists, else the exercise topic's subdomain.
_RECENT_COURSE_ATTEMPTS = f"""
SELECT a.id, a.student_id, a.is_correct, a.classifier_source, a.confidence, a.created_at,
       a.exercise_prompt, a.error_tag_code, a.error_tag_name, {_SUBDOMAIN_COLUMNS}
FROM enrollments en
CROSS JOIN LATERAL (
    SELECT a.id, a.student_id, a.is_correct, a.classifier_source, a.confidence, a.created_at,
           e.content -> 'prompt' AS exercise_prompt, tag.code AS error_tag_code, tag.name AS error_tag_name,
           COALESCE(tag_sd.id, et.subdomain_id) AS placed_subdomain_id
    FROM attempts a
    LEFT JOIN exercises e ON e.id = a.exercise_id
    LEFT JOIN topics et ON et.id = e.topic_id
    {EFFECTIVE_TAG_JOIN}
    LEFT JOIN subdomains tag_sd ON tag_sd.domain_id = tag.domain_id AND tag_sd.code = tag.subdomain_code
    WHERE a.course_id = en.course_id AND a.student_id = en.student_id
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT :per_student
) a
LEFT JOIN subdomains sd ON sd.id = a.placed_subdomain_id
LEFT JOIN domains d ON d.id = sd.domain_id
WHERE en.course_id = :course_id AND en.status = 'ACTIVE'
ORDER BY a.student_id, a.created_at DESC, a.id DESC
"""


def recent_course_attempts(db: Database, course_id: str, per_student: int) -> list[dict[str, Any]]:
    """The enrolled students' most recent attempts in the course, newest first per student."""
    return db.fetch_all(_RECENT_COURSE_ATTEMPTS, {"course_id": course_id, "per_student": per_student})


_COURSE_MASTERY = f"""
SELECT m.student_id, m.topic_id, m.p_known, {_SUBDOMAIN_COLUMNS}
FROM enrollments en
JOIN student_topic_mastery m ON m.student_id = en.student_id
JOIN topics t ON t.id = m.topic_id
JOIN subdomains sd ON sd.id = t.subdomain_id
JOIN domains d ON d.id = sd.domain_id
WHERE en.course_id = :course_id AND en.status = 'ACTIVE'
ORDER BY m.student_id, t.code, t.id
"""


def course_mastery(db: Database, course_id: str) -> list[dict[str, Any]]:
    """Every mastery record (of any subject) of the course's enrolled students whose topic has a subdomain."""
    return db.fetch_all(_COURSE_MASTERY, {"course_id": course_id})


def is_enrolled(db: Database, course_id: str, student_id: str) -> bool:
    return bool(db.fetch_value(
        "SELECT EXISTS (SELECT 1 FROM enrollments WHERE course_id = :course_id AND student_id = :student_id"
        " AND status = 'ACTIVE')", {"course_id": course_id, "student_id": student_id}))


# The recommender's input (domain.md §3.4): the student's records, weakest first, and per topic the
# first ``:per_topic`` ACTIVE exercises (storage order) not answered correctly in this course in the
# last 7 days.
_RECOMMENDATION_MASTERY = """
SELECT m.topic_id, m.p_known, t.code AS topic_code, t.name AS topic_name
FROM student_topic_mastery m JOIN topics t ON t.id = m.topic_id
WHERE m.student_id = :student_id
ORDER BY m.p_known, m.topic_id
"""

_RECOMMENDATION_CANDIDATES = """
SELECT x.id, x.topic_id, x.irt_a, x.irt_b, x.content
FROM student_topic_mastery m
CROSS JOIN LATERAL (
    SELECT e.id, e.topic_id, e.irt_a, e.irt_b, e.content
    FROM exercises e
    WHERE e.topic_id = m.topic_id AND e.status = 'ACTIVE'
      AND NOT EXISTS (
          SELECT 1 FROM attempts a
          WHERE a.exercise_id = e.id AND a.student_id = :student_id AND a.course_id = :course_id
            AND a.is_correct AND a.created_at >= now() - interval '7 days')
    ORDER BY e.created_at, e.id
    LIMIT :per_topic
) x
WHERE m.student_id = :student_id
"""


def recommendation_mastery(db: Database, student_id: str) -> list[dict[str, Any]]:
    return db.fetch_all(_RECOMMENDATION_MASTERY, {"student_id": student_id})


def recommendation_candidates(db: Database, student_id: str, course_id: str, per_topic: int) -> list[dict[str, Any]]:
    return db.fetch_all(_RECOMMENDATION_CANDIDATES,
                        {"student_id": student_id, "course_id": course_id, "per_topic": per_topic})
