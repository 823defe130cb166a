"""Assignments: teacher-made, recommended (IRT), and a student's list (api.md §4.10, domain.md §3.5).

A teacher assigns only to courses they teach and to students actively enrolled in them; a
student reads only their own assignments, a parent those of a linked child (DECISIONS.md §2).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib import errors
from chalicelib.domain import irt
from chalicelib.domain.identity import Principal
from chalicelib.services import access
from chalicelib.store import assignments, recommendations
from chalicelib.store.database import Database

REASON_TEACHER_MANUAL = "TEACHER_MANUAL"
REASON_PRACTICE_RECOMMENDER = "PRACTICE_RECOMMENDER"
RECOMMENDED_ITEMS = 5

_EXERCISE_FIELDS = ("id", "topic_id", "source", "created_by_teacher_id", "content", "language", "irt_a", "irt_b",
                    "irt_calibrated_at", "status", "created_at")
_ASSIGNMENT_FIELDS = ("id", "course_id", "created_by_teacher_id", "title", "reason", "kind", "due_at",
                      "created_at")


def _field_error(field: str, message: str) -> errors.InvalidInput:
    return errors.InvalidInput([f"{field}: {message}"], details=[{"field": field, "message": message,
                                                                  "type": "value_error"}])


def create_assignment(db: Database, principal: Principal, *, exercise_ids: list[str], title: str, reason: str,
                      course_id: str | None = None, student_ids: list[str] | None = None,
                      due_at: dt.datetime | None = None) -> dict[str, Any]:
    """Create an assignment of ``exercise_ids`` (in order) for students and/or a whole course.

    Without ``student_ids`` a course assignment targets the course's actively enrolled students, so
    that it shows in each student's list (the original created no targets, api.md §4.10 ⚠).
    Returns the assignment row with ``assignment_exercises`` (each with its ``exercise``) and
    ``targets``.
    """
    teacher_id = access.require_profile(principal, "Teacher profile")
    if course_id is None and not student_ids:
        raise _field_error("studentIds", "give studentIds or a courseId")
    if student_ids and len(set(student_ids)) != len(student_ids):
        raise _field_error("studentIds", "must not contain duplicates")
    if course_id is not None:
        access.require_course(db, principal, course_id, manage=True)
    if student_ids:
        missing = assignments.students_out_of_reach(db, student_ids, teacher_id=teacher_id, course_id=course_id)
        if missing:
            raise errors.NotFound(f"Student not found: {', '.join(missing)}")
        targets = list(student_ids)
    else:
        assert course_id is not None
        targets = assignments.active_students_of_course(db, course_id)
    exercises = {row["id"]: row for row in assignments.find_exercises(db, list(dict.fromkeys(exercise_ids)))}
    unknown = [exercise_id for exercise_id in dict.fromkeys(exercise_ids) if exercise_id not in exercises]
    if unknown:
        raise errors.NotFound(f"Exercise not found: {', '.join(unknown)}")
    with db.transaction():
        assignment = assignments.insert_assignment(db, course_id=course_id, teacher_id=teacher_id, title=title,
                                                   reason=reason, due_at=due_at, exercise_ids=exercise_ids,
                                                   student_ids=targets)
    return {
        **assignment,
        "assignment_exercises": [
            {"assignment_id": assignment["id"], "exercise_id": exercise_id, "sequence": sequence,
             "exercise": exercises[exercise_id]}
            for sequence, exercise_id in enumerate(exercise_ids)],
        "targets": [{"assignment_id": assignment["id"], "student_id": student_id, "status": "PENDING"}
                    for student_id in targets],
    }


def recommend_assignment(db: Database, principal: Principal, *, student_id: str,
                         topic_id: str | None = None) -> dict[str, Any]:
    """Assign the student the 5 most informative exercises of their unblocked topics (domain.md §3.5).

    θ = logit(clamp(p_known, 0.01, 0.99)), the one convention of every recommender (DECISIONS.md §3).
    """
    access.require_profile(principal, "Teacher profile")
    access.require_student(db, principal, student_id)
    if topic_id is not None and not recommendations.topic_exists(db, topic_id):
        raise errors.NotFound("Topic not found")
    records = recommendations.mastery_with_prerequisites(db, student_id, topic_id)
    items_by_topic: dict[str, list[irt.ItemCandidate]] = {}
    if records:
        for row in recommendations.active_exercises_of_topics(db, [r["topic_id"] for r in records]):
            items_by_topic.setdefault(row["topic_id"], []).append(
                irt.ItemCandidate(row["id"], row["topic_id"], row["irt_a"], row["irt_b"]))
    mastery = [irt.MasteryRecord(r["topic_id"], r["p_known"], tuple(r["prerequisite_topic_ids"] or ()))
               for r in records]
    picks = irt.recommend_assignment_items(mastery, items_by_topic, top_n=RECOMMENDED_ITEMS)
    if not picks:
        raise errors.NotFound("No exercises found matching student mastery level")
    topic_codes = {r["topic_id"]: r["topic_code"] for r in records}
    return create_assignment(
        db, principal, exercise_ids=[pick.item.item_id for pick in picks], student_ids=[student_id],
        title=f"Práctica recomendada — {topic_codes[picks[0].item.topic_id]}", reason=REASON_PRACTICE_RECOMMENDER)


def student_assignments(db: Database, principal: Principal, student_id: str) -> list[dict[str, Any]]:
    """The student's targets of non-guide assignments, newest first, each with its assignment,
    exercises (by sequence) and their topics."""
    access.require_student(db, principal, student_id)
    targets = assignments.list_student_targets(db, student_id)
    if not targets:
        return []
    exercises_by_assignment: dict[str, list[dict[str, Any]]] = {}
    for row in assignments.list_assignment_exercises(db, [t["id"] for t in targets]):
        exercise = {name: row[name] for name in _EXERCISE_FIELDS}
        exercise["topic"] = {key.removeprefix("topic__"): value for key, value in row.items()
                             if key.startswith("topic__")}
        exercises_by_assignment.setdefault(row["assignment_id"], []).append(
            {"assignment_id": row["assignment_id"], "exercise_id": row["exercise_id"], "sequence": row["sequence"],
             "exercise": exercise})
    return [
        {"assignment_id": t["target_assignment_id"], "student_id": t["target_student_id"], "status": t["target_status"],
         "assignment": {**{name: t[name] for name in _ASSIGNMENT_FIELDS},
                        "assignment_exercises": exercises_by_assignment.get(t["id"], [])}}
        for t in targets
    ]
