"""Queries on courses, their teachers (``course_teachers``) and enrolments."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

_COURSE_COLUMNS = ("c.id, c.school_id, c.subject_id, c.name, c.grade_level, c.letter, c.academic_year,"
                   " c.external_id, c.created_at, c.archived_at")

# The teacher's school is the school of the course they were linked to last; a teacher without
# courses gets the first school (the original always took the first school found).
_COURSE_CONTEXT_SQL = """
SELECT (SELECT s.id FROM subjects s WHERE s.code = :subject_code) AS subject_id,
       (SELECT s.name FROM subjects s WHERE s.code = :subject_code) AS subject_name,
       COALESCE((SELECT c.school_id FROM course_teachers ct JOIN courses c ON c.id = ct.course_id
                 WHERE ct.teacher_id = :teacher_id ORDER BY ct.added_at DESC, c.id LIMIT 1),
                (SELECT sc.id FROM schools sc ORDER BY sc.created_at, sc.id LIMIT 1)) AS school_id
"""


def course_context(db: Database, *, subject_code: str, teacher_id: str) -> dict[str, Any]:
    """The subject (id, name) of ``subject_code`` and the school a new course of the teacher goes to."""
    row = db.fetch_one(_COURSE_CONTEXT_SQL, {"subject_code": subject_code, "teacher_id": teacher_id})
    assert row is not None  # a SELECT without FROM always returns one row
    return row


def insert_course(db: Database, *, school_id: str, subject_id: str, name: str, grade_level: int,
                  letter: str | None, academic_year: int, teacher_id: str) -> dict[str, Any]:
    """Create a course and link ``teacher_id`` to it as ``LEAD``; returns the course row."""
    return db.fetch_one(
        f"""
        WITH c AS (
          INSERT INTO courses (school_id, subject_id, name, grade_level, letter, academic_year)
          VALUES (:school_id, :subject_id, :name, :grade_level, :letter, :academic_year)
          RETURNING *),
        link AS (
          INSERT INTO course_teachers (course_id, teacher_id, role) SELECT id, :teacher_id, 'LEAD' FROM c)
        SELECT {_COURSE_COLUMNS} FROM c
        """,
        {"school_id": school_id, "subject_id": subject_id, "name": name, "grade_level": grade_level,
         "letter": letter, "academic_year": academic_year, "teacher_id": teacher_id},
    )


def find_course(db: Database, course_id: str) -> dict[str, Any] | None:
    return db.fetch_one(f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.id = :id", {"id": course_id})


def list_taught_courses(db: Database, teacher_id: str) -> list[dict[str, Any]]:
    """Non-archived courses the teacher is linked to, oldest link first."""
    return db.fetch_all(
        f"""SELECT {_COURSE_COLUMNS} FROM course_teachers ct JOIN courses c ON c.id = ct.course_id
            WHERE ct.teacher_id = :teacher_id AND c.archived_at IS NULL
            ORDER BY ct.added_at, c.id""",
        {"teacher_id": teacher_id},
    )


def list_attended_courses(db: Database, student_id: str) -> list[dict[str, Any]]:
    """Courses of the student's ACTIVE enrolments (archived ones included), oldest enrolment first."""
    return db.fetch_all(
        f"""SELECT {_COURSE_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id
            WHERE e.student_id = :student_id AND e.status = 'ACTIVE'
            ORDER BY e.joined_at, c.id""",
        {"student_id": student_id},
    )


def archive_course(db: Database, course_id: str) -> dict[str, Any] | None:
    """Set ``archived_at`` (kept when already archived, so repeating the call changes nothing)."""
    return db.fetch_one(
        f"""UPDATE courses c SET archived_at = COALESCE(c.archived_at, now())
            WHERE c.id = :id RETURNING {_COURSE_COLUMNS}""",
        {"id": course_id},
    )
