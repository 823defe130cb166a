"""Read models for parents: their confirmed children and a child's overview (api.md §4.13)."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database


def list_children(db: Database, parent_id: str) -> list[dict[str, Any]]:
    """Children linked to the parent with consent recorded (``confirmed_at``), by name."""
    return db.fetch_all(
        """SELECT pl.student_id, s.display_name, pl.relationship
           FROM parent_links pl JOIN students s ON s.id = pl.student_id
           WHERE pl.parent_id = :parent_id AND pl.confirmed_at IS NOT NULL
           ORDER BY s.display_name, pl.student_id""",
        {"parent_id": parent_id},
    )


def find_student(db: Database, student_id: str) -> dict[str, Any] | None:
    return db.fetch_one("SELECT id, display_name FROM students WHERE id = :id", {"id": student_id})


# The child's units: those of the curricula of their active courses' subjects at those courses'
# grade levels, plus any unit in which the child has practised. (The original listed every unit of
# the database, api.md §4.13 ⚠, so most showed "low" for topics the child never met.)
# Each unit's mean is over its topics of the child's p_known, or the topic prior without a record.
_UNITS_SQL = """
WITH in_scope AS (
  SELECT u.id FROM enrollments e
  JOIN courses c ON c.id = e.course_id
  JOIN curricula cu ON cu.subject_id = c.subject_id
  JOIN units u ON u.curriculum_id = cu.id AND u.grade_level = c.grade_level
  WHERE e.student_id = :student_id AND e.status = 'ACTIVE'
  UNION
  SELECT t.unit_id FROM student_topic_mastery m JOIN topics t ON t.id = m.topic_id
  WHERE m.student_id = :student_id)
SELECT u.id AS unit_id, u.code, u.name, avg(COALESCE(m.p_known, t.bkt_p_l0)) AS mean_p_known
FROM units u
JOIN in_scope ON in_scope.id = u.id
JOIN topics t ON t.unit_id = u.id
LEFT JOIN student_topic_mastery m ON m.topic_id = t.id AND m.student_id = :student_id
GROUP BY u.id, u.code, u.name, u.grade_level, u.sequence
ORDER BY u.grade_level, u.sequence, u.code
"""


def unit_means(db: Database, student_id: str) -> list[dict[str, Any]]:
    """``unit_id, code, name, mean_p_known`` of the child's units, in curriculum order."""
    return db.fetch_all(_UNITS_SQL, {"student_id": student_id})


def recent_guides(db: Database, student_id: str, limit: int) -> list[dict[str, Any]]:
    """Published guides of the child's active courses, newest first, with question progress."""
    return db.fetch_all(
        """SELECT g.id, g.title, g.status::text AS status, g.due_at,
                  count(q.id) AS total_questions,
                  count(q.id) FILTER (WHERE EXISTS (
                      SELECT 1 FROM guide_submissions gs
                      WHERE gs.guide_question_id = q.id AND gs.student_id = :student_id
                        AND gs.status = 'GRADED')) AS graded_questions
           FROM guides g
           JOIN enrollments e ON e.course_id = g.course_id AND e.student_id = :student_id AND e.status = 'ACTIVE'
           LEFT JOIN guide_questions q ON q.guide_id = g.id AND q.status = 'APPROVED'
           WHERE g.status = 'PUBLISHED'
           GROUP BY g.id
           ORDER BY g.published_at DESC NULLS LAST, g.id
           LIMIT :limit""",
        {"student_id": student_id, "limit": limit},
    )


def open_alerts_about(db: Database, student_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest unresolved alerts whose subject is the child."""
    return db.fetch_all(
        """SELECT id, severity, alert_type, created_at FROM teacher_alerts
           WHERE student_id = :student_id AND resolved_at IS NULL
           ORDER BY created_at DESC, id LIMIT :limit""",
        {"student_id": student_id, "limit": limit},
    )
