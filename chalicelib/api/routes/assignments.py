"""``/assignments``: teacher assignments, the IRT recommender and a student's list (api.md §4.10).

Creating needs a teacher (the assignment records its teacher); reading a student's list follows
the student ownership rule (the student, their teachers, linked parents, admins).
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import ANY_ROLE, TEACHER_ONLY, RequestContext, Routes
from chalicelib.api.schemas.assignments import (
    AssignmentCreate, AssignmentOut, RecommendQuery, StudentAssignmentOut,
)
from chalicelib.services import assignment_service

routes = Routes("assignments")


@routes.post("/assignments", auth=TEACHER_ONLY, body=AssignmentCreate, response=AssignmentOut)
def create_assignment(ctx: RequestContext) -> AssignmentOut:
    """Assign exercises to students of the caller's courses, or to a whole course."""
    body: AssignmentCreate = ctx.body
    created = assignment_service.create_assignment(
        dependencies.database(), ctx.user, exercise_ids=list(body.exercise_ids), title=body.title,
        reason=body.reason.value, course_id=body.course_id,
        student_ids=list(body.student_ids) if body.student_ids is not None else None, due_at=body.due_at)
    return AssignmentOut.model_validate(created)


@routes.post("/assignments/recommend", auth=TEACHER_ONLY, query=RecommendQuery, response=AssignmentOut)
def recommend_assignment(ctx: RequestContext) -> AssignmentOut:
    """Assign a student the 5 most informative exercises for their mastery (Fisher information)."""
    created = assignment_service.recommend_assignment(dependencies.database(), ctx.user,
                                                      student_id=ctx.query.student_id, topic_id=ctx.query.topic_id)
    return AssignmentOut.model_validate(created)


@routes.get("/assignments/student/{student_id}", auth=ANY_ROLE, response=list[StudentAssignmentOut])
def student_assignments(ctx: RequestContext, student_id: str) -> list[StudentAssignmentOut]:
    """A student's exercise assignments, newest first, with exercises and topics."""
    rows = assignment_service.student_assignments(dependencies.database(), ctx.user, student_id)
    return [StudentAssignmentOut.model_validate(r) for r in rows]
