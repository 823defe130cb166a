"""Who may see what (DECISIONS.md §2): the ownership rules every route applies after the role guard.

- a student reaches only their own student profile (attempts, mastery, assignments, submissions…);
- a teacher reaches the courses they teach (``course_teachers``) and the students actively enrolled
  in them, with those courses' guides and alerts;
- a parent reaches only children linked with consent recorded (``parent_links.confirmed_at``);
- an admin reaches everything.
A resource the caller may not see raises :class:`~chalicelib.errors.NotFound`, exactly like one
that does not exist, so ids cannot be probed. Each check is one indexed query.
"""
from __future__ import annotations

from chalicelib import errors
from chalicelib.domain.identity import Principal, Role
from chalicelib.store.database import Database

_TEACHES_COURSE = """
SELECT EXISTS (
  SELECT 1 FROM course_teachers ct JOIN courses c ON c.id = ct.course_id
  WHERE ct.course_id = :course_id AND ct.teacher_id = :teacher_id)
"""
_COURSE_EXISTS = "SELECT EXISTS (SELECT 1 FROM courses WHERE id = :course_id)"
_ENROLLED_IN_COURSE = """
SELECT EXISTS (SELECT 1 FROM enrollments
               WHERE course_id = :course_id AND student_id = :student_id AND status = 'ACTIVE')
"""
_TEACHES_STUDENT = """
SELECT EXISTS (
  SELECT 1 FROM enrollments e JOIN course_teachers ct ON ct.course_id = e.course_id
  WHERE e.student_id = :student_id AND e.status = 'ACTIVE' AND ct.teacher_id = :teacher_id)
"""
_PARENT_OF = """
SELECT EXISTS (SELECT 1 FROM parent_links
               WHERE parent_id = :parent_id AND student_id = :student_id AND confirmed_at IS NOT NULL)
"""
_STUDENT_EXISTS = "SELECT EXISTS (SELECT 1 FROM students WHERE id = :student_id)"


def require_profile(principal: Principal, what: str = "Profile") -> str:
    """The caller's profile id for its role (404 when the profile row is missing)."""
    if not principal.profile_id:
        raise errors.NotFound(f"{what} not found for current user")
    return principal.profile_id


def can_see_course(db: Database, principal: Principal, course_id: str) -> bool:
    if principal.role is Role.ADMIN:
        return bool(db.fetch_value(_COURSE_EXISTS, {"course_id": course_id}))
    if principal.role is Role.TEACHER and principal.profile_id:
        return bool(db.fetch_value(_TEACHES_COURSE, {"course_id": course_id, "teacher_id": principal.profile_id}))
    if principal.role is Role.STUDENT and principal.profile_id:
        return bool(db.fetch_value(_ENROLLED_IN_COURSE,
                                   {"course_id": course_id, "student_id": principal.profile_id}))
    return False


def can_manage_course(db: Database, principal: Principal, course_id: str) -> bool:
    """Teachers of the course and admins (students only read their courses)."""
    if principal.role is Role.STUDENT:
        return False
    return can_see_course(db, principal, course_id)


def can_see_student(db: Database, principal: Principal, student_id: str) -> bool:
    if principal.role is Role.ADMIN:
        return bool(db.fetch_value(_STUDENT_EXISTS, {"student_id": student_id}))
    if not principal.profile_id:
        return False
    if principal.role is Role.STUDENT:
        return principal.profile_id == student_id
    if principal.role is Role.TEACHER:
        return bool(db.fetch_value(_TEACHES_STUDENT, {"student_id": student_id, "teacher_id": principal.profile_id}))
    if principal.role is Role.PARENT:
        return bool(db.fetch_value(_PARENT_OF, {"student_id": student_id, "parent_id": principal.profile_id}))
    return False


def require_course(db: Database, principal: Principal, course_id: str, *, manage: bool = False,
                   message: str = "Course not found") -> None:
    """404 unless the caller may see (or, with ``manage``, change) the course."""
    allowed = can_manage_course(db, principal, course_id) if manage else can_see_course(db, principal, course_id)
    if not allowed:
        raise errors.NotFound(message)


def require_student(db: Database, principal: Principal, student_id: str,
                    message: str = "Student not found") -> None:
    """404 unless the caller may see the student's data."""
    if not can_see_student(db, principal, student_id):
        raise errors.NotFound(message)
