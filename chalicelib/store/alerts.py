"""Queries on ``teacher_alerts`` for the alerts API (the hourly generator has its own writes)."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

_ALERT_COLUMNS = ("a.id, a.teacher_id, a.course_id, a.topic_id, a.student_id, a.alert_type, a.severity,"
                  " a.payload, a.created_at, a.resolved_at")


def list_open_alerts(db: Database, course_id: str) -> list[dict[str, Any]]:
    """Unresolved alerts of a course, newest first."""
    return db.fetch_all(
        f"""SELECT {_ALERT_COLUMNS} FROM teacher_alerts a
            WHERE a.course_id = :course_id AND a.resolved_at IS NULL
            ORDER BY a.created_at DESC, a.id""",
        {"course_id": course_id},
    )


def check_alert_references(db: Database, *, course_id: str, teacher_id: str, topic_id: str | None,
                           student_id: str | None) -> dict[str, bool]:
    """Whether the teacher teaches the course, the topic exists and the student is in the course."""
    row = db.fetch_one(
        """SELECT EXISTS (SELECT 1 FROM course_teachers
                          WHERE course_id = :course_id AND teacher_id = :teacher_id) AS teacher,
                  (CAST(:topic_id AS text) IS NULL
                   OR EXISTS (SELECT 1 FROM topics WHERE id = :topic_id)) AS topic,
                  (CAST(:student_id AS text) IS NULL
                   OR EXISTS (SELECT 1 FROM enrollments
                              WHERE course_id = :course_id AND student_id = :student_id)) AS student""",
        {"course_id": course_id, "teacher_id": teacher_id, "topic_id": topic_id, "student_id": student_id},
    )
    assert row is not None
    return row


def insert_alert(db: Database, *, teacher_id: str, course_id: str, topic_id: str | None,
                 student_id: str | None, alert_type: str, severity: str, payload: dict[str, Any]) -> dict[str, Any]:
    return db.fetch_one(
        f"""INSERT INTO teacher_alerts AS a (teacher_id, course_id, topic_id, student_id, alert_type, severity, payload)
            VALUES (:teacher_id, :course_id, :topic_id, :student_id, :alert_type, :severity, CAST(:payload AS jsonb))
            RETURNING {_ALERT_COLUMNS}""",
        {"teacher_id": teacher_id, "course_id": course_id, "topic_id": topic_id, "student_id": student_id,
         "alert_type": alert_type, "severity": severity, "payload": payload},
    )


def find_alert_course(db: Database, alert_id: str) -> str | None:
    return db.fetch_value("SELECT course_id FROM teacher_alerts WHERE id = :id", {"id": alert_id})


def resolve_alert(db: Database, alert_id: str, resolved_by: str) -> dict[str, Any] | None:
    """Mark an alert resolved; an already resolved alert keeps its first resolution."""
    return db.fetch_one(
        f"""UPDATE teacher_alerts a
            SET resolved_at = COALESCE(a.resolved_at, now()),
                resolved_by = CASE WHEN a.resolved_at IS NULL THEN :resolved_by ELSE a.resolved_by END
            WHERE a.id = :id RETURNING {_ALERT_COLUMNS}""",
        {"id": alert_id, "resolved_by": resolved_by},
    )
