"""Teacher alerts through the API: list a course's open alerts, raise one, resolve one (api.md §4.12).

A teacher reaches the alerts of the courses they teach, an admin every alert (DECISIONS.md §2);
any other alert is "not found".
"""
from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import Principal
from chalicelib.services import access
from chalicelib.store import alerts
from chalicelib.store.database import Database


def list_open_alerts(db: Database, principal: Principal, course_id: str | None) -> list[dict[str, Any]]:
    """Unresolved alerts of a course the caller manages, newest first; no course → ``[]``."""
    if course_id is None:
        return []
    access.require_course(db, principal, course_id, manage=True)
    return alerts.list_open_alerts(db, course_id)


def raise_alert(db: Database, principal: Principal, *, course_id: str, teacher_id: str, alert_type: str,
                topic_id: str | None = None, student_id: str | None = None, severity: str = "MED",
                payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """A manual alert for a teacher of a course the caller manages."""
    access.require_course(db, principal, course_id, manage=True)
    found = alerts.check_alert_references(db, course_id=course_id, teacher_id=teacher_id,
                                          topic_id=topic_id, student_id=student_id)
    if not found["teacher"]:
        raise errors.NotFound("Teacher not found")
    if not found["topic"]:
        raise errors.NotFound("Topic not found")
    if not found["student"]:
        raise errors.NotFound("Student not found")
    with db.transaction():
        return alerts.insert_alert(db, teacher_id=teacher_id, course_id=course_id, topic_id=topic_id,
                                   student_id=student_id, alert_type=alert_type, severity=severity,
                                   payload=payload or {})


def resolve_alert(db: Database, principal: Principal, alert_id: str) -> dict[str, Any]:
    """Resolve an alert of a course the caller manages (repeating it keeps the first resolution)."""
    course_id = alerts.find_alert_course(db, alert_id)
    if course_id is None:
        raise errors.NotFound("Alert not found")
    access.require_course(db, principal, course_id, manage=True, message="Alert not found")
    with db.transaction():
        row = alerts.resolve_alert(db, alert_id, principal.user_id)
    if row is None:  # pragma: no cover - deleted between the check and the update
        raise errors.NotFound("Alert not found")
    return row
