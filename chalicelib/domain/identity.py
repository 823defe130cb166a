"""Who is calling: roles and the request principal (api.md §1.2, DECISIONS.md §2). Pure values."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    STUDENT = "student"
    TEACHER = "teacher"
    PARENT = "parent"
    ADMIN = "admin"

    @classmethod
    def from_claim(cls, value: object) -> "Role":
        """``app_metadata.role`` → role; anything else, a missing claim included, is a student."""
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        return cls.STUDENT


PLACEHOLDER_STUDENT_NAME = "Nuevo Alumno"


@dataclass(frozen=True)
class TokenIdentity:
    """The verified claims a request is authorised with."""

    subject: str
    email: str
    role: Role
    display_name: str | None  # None when neither user_metadata nor the e-mail gives one


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: token identity plus the linked local rows.

    ``profile_id`` is the ``teachers.id`` / ``parents.id`` / ``students.id`` of the token's role
    (admin: the student profile id, normally None), as ``GET /auth/me`` reports it.
    """

    subject: str
    email: str
    role: Role
    user_id: str
    profile_id: str | None
    display_name: str
