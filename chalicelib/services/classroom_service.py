"""Courses ("classrooms"): creating, listing, archiving, invite codes and joining (api.md §4.7).

Ownership (DECISIONS.md §2): teachers manage the courses they are linked to, students see the
courses they are actively enrolled in, admins see every course; anything else is "not found".
"""
from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass
from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import Principal, Role
from chalicelib.services import access
from chalicelib.store import classroom_invites, courses
from chalicelib.store.database import Database

DEFAULT_GRADE_LEVEL = 4
DEFAULT_SUBJECT_CODE = "MATH"
_MEDIO = {9: "I medio", 10: "II medio", 11: "III medio", 12: "IV medio"}
_CODE_ALPHABET = string.ascii_lowercase + string.digits


def course_label(grade_level: int, letter: str | None, subject_name: str) -> str:
    """``4° básico B · Matemáticas``: the name of a course created without one."""
    label = _MEDIO.get(grade_level, f"{grade_level}° básico")
    if letter and letter.strip():
        label += f" {letter.strip().upper()}"
    return f"{label} · {subject_name}"


def new_invite_code() -> str:
    """A cuid-shaped join code (``c`` + 24 base-36 characters, 124 random bits), URL-safe."""
    return "c" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(24))


def create_course(db: Database, principal: Principal, *, name: str | None, grade_level: int | None,
                  letter: str | None, subject_code: str | None) -> dict[str, Any]:
    """Create a course taught by the caller (``LEAD``) in the caller's school; the course row."""
    teacher_id = access.require_profile(principal, "Teacher profile")
    subject_code = subject_code or DEFAULT_SUBJECT_CODE
    grade_level = grade_level or DEFAULT_GRADE_LEVEL
    letter = letter if letter and letter.strip() else None  # clients send "" for "no section"
    context = courses.course_context(db, subject_code=subject_code, teacher_id=teacher_id)
    if context["subject_id"] is None:
        raise errors.NotFound(f'Subject "{subject_code}" not found — run seed first')
    if context["school_id"] is None:
        raise errors.NotFound("No school found — run seed first")
    name = (name or "").strip() or course_label(grade_level, letter, context["subject_name"])
    with db.transaction():
        return courses.insert_course(
            db, school_id=context["school_id"], subject_id=context["subject_id"], name=name,
            grade_level=grade_level, letter=letter, academic_year=dt.datetime.now(dt.timezone.utc).year,
            teacher_id=teacher_id)


def my_courses(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Non-archived courses the caller teaches (empty for callers who are not teachers)."""
    if principal.role is not Role.TEACHER or not principal.profile_id:
        return []
    return courses.list_taught_courses(db, principal.profile_id)


def my_enrolled_courses(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Courses of the caller's ACTIVE enrolments (empty for callers who are not students)."""
    if principal.role is not Role.STUDENT or not principal.profile_id:
        return []
    return courses.list_attended_courses(db, principal.profile_id)


def get_course(db: Database, principal: Principal, course_id: str) -> dict[str, Any]:
    access.require_course(db, principal, course_id)
    course = courses.find_course(db, course_id)
    if course is None:  # pragma: no cover - require_course saw it a moment ago
        raise errors.NotFound("Course not found")
    return course


def archive_course(db: Database, principal: Principal, course_id: str) -> dict[str, Any]:
    """Soft-archive a course the caller manages; the archived course row. Repeating it is harmless."""
    access.require_course(db, principal, course_id, manage=True)
    with db.transaction():
        course = courses.archive_course(db, course_id)
    if course is None:  # pragma: no cover - deleted between the check and the update
        raise errors.NotFound("Course not found")
    return course


@dataclass(frozen=True)
class Invite:
    code: str
    url: str
    expires_at: dt.datetime | None
    max_uses: int | None


def create_invite(db: Database, principal: Principal, course_id: str, *, app_url: str | None,
                  expires_at: dt.datetime | None = None, max_uses: int | None = None) -> Invite:
    """A join code for a course the caller teaches, optionally expiring and/or limited in uses."""
    teacher_id = access.require_profile(principal, "Teacher profile")
    access.require_course(db, principal, course_id, manage=True)
    if expires_at is not None and expires_at <= dt.datetime.now(dt.timezone.utc):
        raise errors.InvalidInput(["expiresAt must be in the future"], details=[
            {"field": "expiresAt", "message": "must be in the future", "type": "value_error"}])
    code = new_invite_code()
    with db.transaction():
        row = classroom_invites.insert_invite(db, invite_id=new_invite_code(), code=code,
                                              course_id=course_id, created_by=teacher_id,
                                              expires_at=expires_at, max_uses=max_uses)
    base = (app_url or "").rstrip("/")
    return Invite(code=row["code"], url=f"{base}/join?code={row['code']}", expires_at=row["expires_at"],
                  max_uses=row["max_uses"])


def join_course(db: Database, principal: Principal, code: str) -> dict[str, Any]:
    """Enrol the calling student with an invite code; the course row.

    Unknown code → 404; expired or used up → 400; already actively enrolled → 409 (the use is not
    counted). A left enrolment is re-activated.
    """
    student_id = access.require_profile(principal, "Student profile")
    invite = classroom_invites.find_invite_for_student(db, code, student_id)
    if invite is None:
        raise errors.NotFound("Invalid invitation code")
    if invite["expired"]:
        raise errors.InvalidInput("Invitation code has expired")
    if invite["used_up"]:
        raise errors.InvalidInput("Invitation code has reached its usage limit")
    if invite["enrolled"]:
        raise errors.Conflict("You are already enrolled in this course")
    with db.transaction():
        used, enrolled = classroom_invites.redeem_invite(db, invite_id=invite["id"], student_id=student_id)
        # Another request changed things between the read and the write: report what it did.
        if not used:
            raise errors.InvalidInput("Invitation code has reached its usage limit")
        if not enrolled:
            raise errors.Conflict("You are already enrolled in this course")
    course = courses.find_course(db, invite["course_id"])
    assert course is not None  # the invite references it (foreign key)
    return course
