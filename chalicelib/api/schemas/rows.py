"""The "raw row" shapes of api.md §2 that several routes return (all columns, camelCase).

Models are built from database rows (snake_case dicts: ``CourseRow.model_validate(row)``) and
dumped with camelCase aliases. Timestamps are sent as ``2026-06-01T12:00:00.000Z`` (api.md §1.9).
"""
from __future__ import annotations

from typing import Any

from chalicelib.api.schemas.base import ResponseModel
from chalicelib.api.schemas.fields import Timestamp


class CourseRow(ResponseModel):
    """Table ``courses``."""

    id: str
    school_id: str
    subject_id: str
    name: str
    grade_level: int
    letter: str | None
    academic_year: int
    external_id: str | None
    created_at: Timestamp
    archived_at: Timestamp | None


class TopicRow(ResponseModel):
    """Table ``topics``."""

    id: str
    unit_id: str
    subdomain_id: str | None
    domain_id: str | None
    code: str
    name: str
    description: str | None
    bkt_p_l0: float
    bkt_p_transit: float
    bkt_p_slip: float
    bkt_p_guess: float
    bkt_calibrated_at: Timestamp | None


class ExerciseRow(ResponseModel):
    """Table ``exercises``."""

    id: str
    topic_id: str
    source: str
    created_by_teacher_id: str | None
    content: Any
    language: str
    irt_a: float
    irt_b: float
    irt_calibrated_at: Timestamp | None
    status: str
    created_at: Timestamp


class AssignmentRow(ResponseModel):
    """Table ``assignments``."""

    id: str
    course_id: str | None
    created_by_teacher_id: str
    title: str
    reason: str
    kind: str
    due_at: Timestamp | None
    created_at: Timestamp


class AssignmentTargetRow(ResponseModel):
    """Table ``assignment_targets``."""

    assignment_id: str
    student_id: str
    status: str


class AssignmentExerciseRow(ResponseModel):
    """Table ``assignment_exercises``."""

    assignment_id: str
    exercise_id: str
    sequence: int
