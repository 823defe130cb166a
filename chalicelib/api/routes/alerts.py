"""``/alerts``: a course's open alerts, manual alerts, resolving (api.md §4.12, DECISIONS.md §2, §4).

Teachers (for the courses they teach) and admins; students and parents are refused (403).
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import TEACHER_OR_ADMIN, RequestContext, Routes
from chalicelib.api.schemas.alerts import AlertCreate, AlertsQuery, AlertView, Severity
from chalicelib.services import alert_service

routes = Routes("alerts")


@routes.get("/alerts", auth=TEACHER_OR_ADMIN, query=AlertsQuery, response=list[AlertView])
def list_alerts(ctx: RequestContext) -> list[AlertView]:
    """Unresolved alerts of a course (``courseId``, or the legacy ``classroomId``), newest first."""
    rows = alert_service.list_open_alerts(dependencies.database(), ctx.user, ctx.query.target_course_id)
    return [AlertView.model_validate(r) for r in rows]


@routes.post("/alerts", auth=TEACHER_OR_ADMIN, body=AlertCreate, response=AlertView)
def create_alert(ctx: RequestContext) -> AlertView:
    """Raise a manual alert (severity defaults to MED, payload to {})."""
    body: AlertCreate = ctx.body
    row = alert_service.raise_alert(
        dependencies.database(), ctx.user, course_id=body.course_id, teacher_id=body.teacher_id,
        alert_type=body.alert_type.value, topic_id=body.topic_id, student_id=body.student_id,
        severity=(body.severity or Severity.MED).value, payload=body.payload)
    return AlertView.model_validate(row)


@routes.patch("/alerts/{alert_id}/resolve", auth=TEACHER_OR_ADMIN, response=AlertView)
def resolve_alert(ctx: RequestContext, alert_id: str) -> AlertView:
    """Mark an alert resolved; unknown or foreign alerts are 404."""
    return AlertView.model_validate(alert_service.resolve_alert(dependencies.database(), ctx.user, alert_id))
