"""``/practice``: quick assignment by a teacher and the next exercise for a student (api.md §4.11).

Parents are refused the recommender: it reveals an ability estimate (parents see bands only).
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import STUDENT_TEACHER_OR_ADMIN, TEACHER_ONLY, RequestContext, Routes
from chalicelib.api.schemas.practice import (
    PracticeAssignIn, PracticeAssignOut, RecommendNextOut, RecommendNextQuery,
)
from chalicelib.services import practice_service

routes = Routes("practice")



@routes.post("/practice/assign", auth=TEACHER_ONLY, body=PracticeAssignIn, response=PracticeAssignOut)
def assign_practice(ctx: RequestContext) -> PracticeAssignOut:
    """Assign exercises to one student of the caller's courses."""
    body: PracticeAssignIn = ctx.body
    return practice_service.assign_practice(dependencies.database(), ctx.user, student_id=body.student_id,
                                            item_ids=list(body.item_ids), due_at=body.due_at)


@routes.get("/practice/recommend-next", auth=STUDENT_TEACHER_OR_ADMIN, query=RecommendNextQuery,
            response=RecommendNextOut)
def recommend_next(ctx: RequestContext) -> RecommendNextOut:
    """The most informative active exercise for the student (optionally within one domain)."""
    return practice_service.recommend_next(dependencies.database(), ctx.user, student_id=ctx.query.student_id,
                                           domain_id=ctx.query.domain_id)
