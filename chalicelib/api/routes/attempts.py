"""``/attempts``: submit and classify an attempt, ad-hoc solves, status, detail, field reports (api.md §4.3).

Who may act (DECISIONS.md §2): a student on their own attempts, a teacher on the students of the
courses they teach, an admin on all; parents never see attempts (403). A foreign attempt or student
answers 404, like an unknown one.
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import STUDENT_TEACHER_OR_ADMIN, RequestContext, Routes
from chalicelib.api.schemas.attempts import (
    AdhocSolveCreate,
    AdhocSolveCreated,
    AttemptCreate,
    AttemptCreated,
    AttemptDetailOut,
    AttemptReportCreate,
    AttemptReported,
    AttemptStatusOut,
)
from chalicelib.services import attempt_service
from chalicelib.settings import get_settings

routes = Routes("attempts")



@routes.post("/attempts", auth=STUDENT_TEACHER_OR_ADMIN, body=AttemptCreate, response=AttemptCreated)
def create_attempt(ctx: RequestContext) -> AttemptCreated:
    """Classify an attempt with the rule engine, update mastery (BKT), queue telemetry and LLM work."""
    return attempt_service.submit_attempt(dependencies.database(), dependencies.publisher(), ctx.user,
                                          ctx.body, ctx.trace_id)


@routes.post("/attempts/solve-adhoc", auth=STUDENT_TEACHER_OR_ADMIN, body=AdhocSolveCreate, response=AdhocSolveCreated)
def solve_adhoc(ctx: RequestContext) -> AdhocSolveCreated:
    """Queue a scanned problem for the asynchronous solver; poll its status."""
    attempt_id = attempt_service.solve_adhoc(dependencies.database(), dependencies.publisher(), ctx.user,
                                             ctx.body, ctx.trace_id)
    return AdhocSolveCreated(attempt_id=attempt_id)


@routes.get("/attempts/{id}/status", auth=STUDENT_TEACHER_OR_ADMIN, response=AttemptStatusOut)
def attempt_status(ctx: RequestContext, id: str) -> AttemptStatusOut:
    """Classification status of an attempt (re-sends any message it still owes to its queues)."""
    return attempt_service.attempt_status(dependencies.database(), dependencies.publisher(), ctx.user, id)


@routes.get("/attempts/{id}/detail", auth=STUDENT_TEACHER_OR_ADMIN, response=AttemptDetailOut)
def attempt_detail(ctx: RequestContext, id: str) -> AttemptDetailOut:
    """Status, steps and the graded guide submission (photo URLs valid for an hour) of an attempt."""
    return attempt_service.attempt_detail(dependencies.database(), dependencies.object_storage(), ctx.user, id,
                                          get_settings().s3_submissions_bucket)


@routes.post("/attempts/{id}/report", auth=STUDENT_TEACHER_OR_ADMIN, body=AttemptReportCreate, response=AttemptReported)
def report_attempt(ctx: RequestContext, id: str) -> AttemptReported:
    """Propose the right error tag for an attempt (field feedback; the classification is unchanged)."""
    attempt_id = attempt_service.report_attempt(dependencies.database(), ctx.user, id, ctx.body.error_tag_code,
                                                ctx.body.comment)
    return AttemptReported(attempt_id=attempt_id, reported=True)
