"""Queries on assignments, their exercises and targets, and the data the recommenders read."""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.store.database import Database

_ASSIGNMENT_COLUMNS = "a.id, a.course_id, a.created_by_teacher_id, a.title, a.reason, a.kind, a.due_at, a.created_at"
_EXERCISE_COLUMNS = ("e.id, e.topic_id, e.source, e.created_by_teacher_id, e.content, e.language, e.irt_a,"
                     " e.irt_b, e.irt_calibrated_at, e.status, e.created_at")
_TOPIC_COLUMNS = ("t.id AS topic__id, t.unit_id AS topic__unit_id, t.subdomain_id AS topic__subdomain_id,"
                  " t.domain_id AS topic__domain_id, t.code AS topic__code, t.name AS topic__name,"
                  " t.description AS topic__description, t.bkt_p_l0 AS topic__bkt_p_l0,"
                  " t.bkt_p_transit AS topic__bkt_p_transit, t.bkt_p_slip AS topic__bkt_p_slip,"
                  " t.bkt_p_guess AS topic__bkt_p_guess, t.bkt_calibrated_at AS topic__bkt_calibrated_at")


def find_exercises(db: Database, exercise_ids: list[str]) -> list[dict[str, Any]]:
    """Exercise rows of the given ids (each id once; unknown ids are simply absent)."""
    return db.fetch_all(f"SELECT {_EXERCISE_COLUMNS} FROM exercises e WHERE e.id = ANY(CAST(:ids AS text[]))",
                        {"ids": exercise_ids})


def students_out_of_reach(db: Database, student_ids: list[str], *, teacher_id: str,
                          course_id: str | None) -> list[str]:
    """The ids among ``student_ids`` not actively enrolled in a course the teacher teaches
    (in ``course_id`` when given)."""
    return [row["id"] for row in db.fetch_all(
        """SELECT s.id FROM unnest(CAST(:ids AS text[])) AS s(id)
           WHERE NOT EXISTS (
             SELECT 1 FROM enrollments e JOIN course_teachers ct ON ct.course_id = e.course_id
             WHERE e.student_id = s.id AND e.status = 'ACTIVE' AND ct.teacher_id = :teacher_id
               AND (CAST(:course_id AS text) IS NULL OR e.course_id = :course_id))""",
        {"ids": student_ids, "course_id": course_id, "teacher_id": teacher_id})]


def active_students_of_course(db: Database, course_id: str) -> list[str]:
    return [row["student_id"] for row in db.fetch_all(
        """SELECT student_id FROM enrollments WHERE course_id = :course_id AND status = 'ACTIVE'
           ORDER BY joined_at, student_id""", {"course_id": course_id})]


def insert_assignment(db: Database, *, course_id: str | None, teacher_id: str, title: str, reason: str,
                      due_at: dt.datetime | None, exercise_ids: list[str], student_ids: list[str]) -> dict[str, Any]:
    """One statement: the assignment, its exercises (``sequence`` = position) and PENDING targets."""
    return db.fetch_one(
        f"""
        WITH a AS (
          INSERT INTO assignments (course_id, created_by_teacher_id, title, reason, due_at)
          VALUES (:course_id, :teacher_id, :title, :reason, :due_at)
          RETURNING *),
        exercises AS (
          INSERT INTO assignment_exercises (assignment_id, exercise_id, sequence)
          SELECT a.id, x.id, x.n - 1 FROM a, unnest(CAST(:exercise_ids AS text[])) WITH ORDINALITY AS x(id, n)),
        targets AS (
          INSERT INTO assignment_targets (assignment_id, student_id, status)
          SELECT a.id, s.id, 'PENDING' FROM a, unnest(CAST(:student_ids AS text[])) AS s(id))
        SELECT {_ASSIGNMENT_COLUMNS} FROM a
        """,
        {"course_id": course_id, "teacher_id": teacher_id, "title": title, "reason": reason, "due_at": due_at,
         "exercise_ids": exercise_ids, "student_ids": student_ids},
    )


def list_student_targets(db: Database, student_id: str) -> list[dict[str, Any]]:
    """The student's targets of non-guide assignments, newest assignment first, with the assignment."""
    return db.fetch_all(
        f"""SELECT tg.assignment_id AS target_assignment_id, tg.student_id AS target_student_id,
                   tg.status AS target_status, {_ASSIGNMENT_COLUMNS}
            FROM assignment_targets tg JOIN assignments a ON a.id = tg.assignment_id
            WHERE tg.student_id = :student_id AND a.kind <> 'GUIDE'
            ORDER BY a.created_at DESC, a.id""",
        {"student_id": student_id},
    )


def list_assignment_exercises(db: Database, assignment_ids: list[str]) -> list[dict[str, Any]]:
    """Exercises of the assignments in sequence order, each with its exercise and topic columns."""
    return db.fetch_all(
        f"""SELECT ae.assignment_id, ae.exercise_id, ae.sequence, {_EXERCISE_COLUMNS}, {_TOPIC_COLUMNS}
            FROM assignment_exercises ae
            JOIN exercises e ON e.id = ae.exercise_id
            JOIN topics t ON t.id = e.topic_id
            WHERE ae.assignment_id = ANY(CAST(:ids AS text[]))
            ORDER BY ae.assignment_id, ae.sequence""",
        {"ids": assignment_ids},
    )
