"""``/mastery``: a student's BKT records, the course view and heatmap, the next-exercise recommender
(api.md §4.4).

Who may read (DECISIONS.md §2): the course views are for the course's teachers and admins; a
student's records and recommendation for the student, their teachers and admins. Parents never
receive raw mastery numbers (api.md §4.13): 403. A foreign course or student answers 404.
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import STUDENT_TEACHER_OR_ADMIN, TEACHER_OR_ADMIN, RequestContext, Routes
from chalicelib.api.schemas.mastery import (
    HeatmapOut,
    RecommendationOut,
    StudentCourseMasteryOut,
    TopicMasteryOut,
)
from chalicelib.services import mastery_service

routes = Routes("mastery")



@routes.get("/mastery/course/{courseId}", auth=TEACHER_OR_ADMIN, response=list[StudentCourseMasteryOut])
def course_mastery(ctx: RequestContext, courseId: str) -> list[StudentCourseMasteryOut]:
    """Per enrolled student: mastery per subdomain, latest attempts and most frequent errors."""
    return mastery_service.course_mastery(dependencies.database(), ctx.user, courseId)


@routes.get("/mastery/course/{courseId}/heatmap", auth=TEACHER_OR_ADMIN, response=HeatmapOut)
def course_heatmap(ctx: RequestContext, courseId: str) -> HeatmapOut:
    """Students × domains of a course, with the subdomain drill-down."""
    heatmap = mastery_service.course_heatmap(dependencies.database(), ctx.user, courseId)
    return HeatmapOut.model_validate({"course_id": courseId, "units": heatmap.units, "students": heatmap.students})


@routes.get("/mastery/classroom/{classroomId}", auth=TEACHER_OR_ADMIN, response=list[StudentCourseMasteryOut])
def classroom_mastery(ctx: RequestContext, classroomId: str) -> list[StudentCourseMasteryOut]:
    """Alias of ``GET /mastery/course/{courseId}``."""
    return course_mastery(ctx, classroomId)


@routes.get("/mastery/recommend/{courseId}/{studentId}", auth=STUDENT_TEACHER_OR_ADMIN, response=RecommendationOut)
def recommend_exercise(ctx: RequestContext, courseId: str, studentId: str) -> RecommendationOut:
    """The most informative open exercise of the student's weakest topic (IRT Fisher information)."""
    return mastery_service.recommend_exercise(dependencies.database(), ctx.user, courseId, studentId)


@routes.get("/mastery/{studentId}", auth=STUDENT_TEACHER_OR_ADMIN, response=list[TopicMasteryOut])
def student_mastery(ctx: RequestContext, studentId: str) -> list[TopicMasteryOut]:
    """The student's mastery record of every topic practised: p_known, level, trend."""
    return mastery_service.student_mastery(dependencies.database(), ctx.user, studentId)
