"""``/classrooms``: courses, invite codes and enrolment (api.md §4.7, DECISIONS.md §2).

Teachers create, invite to and archive the courses they teach; students join with a code; the two
``mine`` lists answer ``[]`` to callers without the matching profile, as the original did.
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import (
    ANY_ROLE, STUDENT_ONLY, STUDENT_TEACHER_OR_ADMIN, TEACHER_ONLY, TEACHER_OR_ADMIN, RequestContext, Routes,
)
from chalicelib.api.schemas.classrooms import CourseCreate, InviteCreate, InviteOut, JoinIn
from chalicelib.api.schemas.rows import CourseRow
from chalicelib.services import classroom_service
from chalicelib.settings import get_settings

routes = Routes("classrooms")


@routes.post("/classrooms", auth=TEACHER_ONLY, body=CourseCreate, response=CourseRow)
def create_classroom(ctx: RequestContext) -> CourseRow:
    """Create a course taught by the caller (the name is derived when blank)."""
    body: CourseCreate = ctx.body
    row = classroom_service.create_course(dependencies.database(), ctx.user, name=body.name,
                                          grade_level=body.grade_level, letter=body.letter,
                                          subject_code=body.subject_code)
    return CourseRow.model_validate(row)


@routes.get("/classrooms/mine", auth=ANY_ROLE, response=list[CourseRow])
def my_classrooms(ctx: RequestContext) -> list[CourseRow]:
    """Non-archived courses the caller teaches, oldest link first."""
    return [CourseRow.model_validate(r) for r in classroom_service.my_courses(dependencies.database(), ctx.user)]


@routes.get("/classrooms/student/mine", auth=ANY_ROLE, response=list[CourseRow])
def my_student_classrooms(ctx: RequestContext) -> list[CourseRow]:
    """Courses the calling student is actively enrolled in (archived ones included)."""
    rows = classroom_service.my_enrolled_courses(dependencies.database(), ctx.user)
    return [CourseRow.model_validate(r) for r in rows]


@routes.get("/classrooms/{course_id}", auth=STUDENT_TEACHER_OR_ADMIN, response=CourseRow)
def get_classroom(ctx: RequestContext, course_id: str) -> CourseRow:
    """One course the caller teaches or attends (admins: any)."""
    return CourseRow.model_validate(classroom_service.get_course(dependencies.database(), ctx.user, course_id))


@routes.post("/classrooms/{course_id}/invite", auth=TEACHER_ONLY, body=InviteCreate, response=InviteOut)
def invite_to_classroom(ctx: RequestContext, course_id: str) -> InviteOut:
    """A join code and link for a course the caller teaches (optional expiry and use limit)."""
    body: InviteCreate = ctx.body
    invite = classroom_service.create_invite(
        dependencies.database(), ctx.user, course_id, app_url=get_settings().public_app_url,
        expires_at=body.expires_at, max_uses=body.max_uses)
    return InviteOut(code=invite.code, url=invite.url, expires_at=invite.expires_at, max_uses=invite.max_uses)


@routes.post("/classrooms/join", auth=STUDENT_ONLY, body=JoinIn, response=CourseRow)
def join_classroom(ctx: RequestContext) -> CourseRow:
    """Enrol the calling student with an invite code; the joined course."""
    return CourseRow.model_validate(classroom_service.join_course(dependencies.database(), ctx.user, ctx.body.code))


@routes.delete("/classrooms/{course_id}", auth=TEACHER_OR_ADMIN, response=CourseRow)
def archive_classroom(ctx: RequestContext, course_id: str) -> CourseRow:
    """Soft-archive a course the caller teaches; the archived course in full."""
    return CourseRow.model_validate(classroom_service.archive_course(dependencies.database(), ctx.user, course_id))
