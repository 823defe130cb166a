"""Linking a verified token to its local user and role profile (api.md §1.2).

On first sight a subject gets a ``users`` row (or claims an unlinked row with its e-mail) and the
profile row of its token role; later requests cost one read. Every write is ``ON CONFLICT``-safe,
so concurrent first requests of one user still create exactly one user and one profile.
"""
from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import PLACEHOLDER_STUDENT_NAME, Principal, Role, TokenIdentity
from chalicelib.store import users
from chalicelib.store.database import Database


def _profile_id(row: dict[str, Any], role: Role) -> str | None:
    return {
        Role.TEACHER: row["teacher_id"],
        Role.PARENT: row["parent_id"],
        Role.STUDENT: row["student_id"],
        Role.ADMIN: row["student_id"],
    }[role]


def _is_complete(row: dict[str, Any] | None, identity: TokenIdentity) -> bool:
    if row is None:
        return False
    if identity.role is Role.ADMIN:
        return True
    if _profile_id(row, identity.role) is None:
        return False
    if identity.role is Role.STUDENT and identity.display_name:
        return not (row["student_name"] == PLACEHOLDER_STUDENT_NAME
                    and identity.display_name != PLACEHOLDER_STUDENT_NAME)
    return True


def link_principal(db: Database, identity: TokenIdentity) -> Principal:
    """The principal of ``identity``, creating its user and profile rows when missing."""
    row = users.find_linked_profiles(db, identity.subject)
    if not _is_complete(row, identity):
        with db.transaction():
            _create_missing_rows(db, identity, row)
        row = users.find_linked_profiles(db, identity.subject)
        assert row is not None
    return Principal(
        subject=identity.subject,
        email=identity.email,
        role=identity.role,
        user_id=row["user_id"],
        profile_id=_profile_id(row, identity.role),
        display_name=identity.display_name or PLACEHOLDER_STUDENT_NAME,
    )


def _create_missing_rows(db: Database, identity: TokenIdentity, row: dict[str, Any] | None) -> None:
    email = identity.email or f"{identity.subject}@no-email.invalid"
    if row is None:
        users.insert_user(db, subject=identity.subject, email=email, role=identity.role.value)
        row = users.find_linked_profiles(db, identity.subject)
        if row is None and users.claim_user_by_email(db, subject=identity.subject, email=email) is None:
            raise errors.Conflict("This e-mail belongs to another account")
        row = users.find_linked_profiles(db, identity.subject)
    user_id = row["user_id"]
    if identity.role is Role.TEACHER:
        users.ensure_teacher(db, user_id)
    elif identity.role is Role.PARENT:
        users.ensure_parent(db, user_id)
    elif identity.role is Role.STUDENT:
        users.ensure_student(db, user_id, identity.display_name or PLACEHOLDER_STUDENT_NAME,
                             PLACEHOLDER_STUDENT_NAME)
