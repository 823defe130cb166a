"""Queries on ``classroom_invites`` (reusable join codes) and the enrolments they create."""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.store.database import Database

_INVITE_COLUMNS = "id, code, course_id, created_by, expires_at, max_uses, use_count, created_at"


def insert_invite(db: Database, *, invite_id: str, code: str, course_id: str, created_by: str,
                  expires_at: dt.datetime | None, max_uses: int | None) -> dict[str, Any]:
    return db.fetch_one(
        f"""INSERT INTO classroom_invites (id, code, course_id, created_by, expires_at, max_uses)
            VALUES (:id, :code, :course_id, :created_by, :expires_at, :max_uses)
            RETURNING {_INVITE_COLUMNS}""",
        {"id": invite_id, "code": code, "course_id": course_id, "created_by": created_by,
         "expires_at": expires_at, "max_uses": max_uses},
    )


def find_invite_for_student(db: Database, code: str, student_id: str) -> dict[str, Any] | None:
    """The invite of ``code`` with ``expired``, ``used_up`` and ``enrolled`` (student already ACTIVE)."""
    return db.fetch_one(
        f"""SELECT {_INVITE_COLUMNS},
                   (i.expires_at IS NOT NULL AND i.expires_at <= now()) AS expired,
                   (i.max_uses IS NOT NULL AND i.use_count >= i.max_uses) AS used_up,
                   EXISTS (SELECT 1 FROM enrollments e
                           WHERE e.course_id = i.course_id AND e.student_id = :student_id
                             AND e.status = 'ACTIVE') AS enrolled
            FROM classroom_invites i WHERE i.code = :code""",
        {"code": code, "student_id": student_id},
    )


# One statement: count the use only while the code is still valid (atomic against concurrent
# joins, unlike the original's read-then-write) and (re)activate the enrolment unless it is
# already ACTIVE. The caller rolls back when either part did nothing.
_REDEEM_SQL = """
WITH used AS (
  UPDATE classroom_invites SET use_count = use_count + 1
  WHERE id = :invite_id
    AND (max_uses IS NULL OR use_count < max_uses)
    AND (expires_at IS NULL OR expires_at > now())
  RETURNING course_id),
enrolled AS (
  INSERT INTO enrollments (course_id, student_id, status)
  SELECT course_id, :student_id, 'ACTIVE' FROM used
  ON CONFLICT (course_id, student_id)
  DO UPDATE SET status = 'ACTIVE', left_at = NULL WHERE enrollments.status <> 'ACTIVE'
  RETURNING course_id)
SELECT (SELECT count(*) FROM used) AS used, (SELECT count(*) FROM enrolled) AS enrolled
"""


def redeem_invite(db: Database, *, invite_id: str, student_id: str) -> tuple[bool, bool]:
    """Count one use and enrol the student: ``(use counted, enrolment activated)``."""
    row = db.fetch_one(_REDEEM_SQL, {"invite_id": invite_id, "student_id": student_id})
    assert row is not None
    return bool(row["used"]), bool(row["enrolled"])
