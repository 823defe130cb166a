"""Wire models of ``/assignments`` (api.md §2 rows, §4.10)."""
from __future__ import annotations

from enum import Enum

from pydantic import Field

from chalicelib.api.schemas.base import QueryModel, RequestModel
from chalicelib.api.schemas.fields import EntityId, IsoDateTime
from chalicelib.api.schemas.rows import (
    AssignmentExerciseRow, AssignmentRow, AssignmentTargetRow, ExerciseRow, TopicRow,
)

MAX_EXERCISES = 100
MAX_STUDENTS = 100


class AssignmentReason(str, Enum):
    TEACHER_MANUAL = "TEACHER_MANUAL"
    PRACTICE_RECOMMENDER = "PRACTICE_RECOMMENDER"


class AssignmentCreate(RequestModel):
    """``courseId`` (whole course) and/or ``studentIds``; ``exerciseIds`` in order."""

    course_id: EntityId | None = None
    student_ids: list[EntityId] | None = Field(default=None, max_length=MAX_STUDENTS)
    exercise_ids: list[EntityId] = Field(min_length=1, max_length=MAX_EXERCISES)
    title: str = Field(min_length=1, max_length=200)
    reason: AssignmentReason
    due_at: IsoDateTime | None = None


class RecommendQuery(QueryModel):
    student_id: EntityId
    topic_id: EntityId | None = None


class AssignmentExerciseOut(AssignmentExerciseRow):
    exercise: ExerciseRow


class AssignmentOut(AssignmentRow):
    """An assignment with its exercises (each with the exercise row) and targets."""

    assignment_exercises: list[AssignmentExerciseOut]
    targets: list[AssignmentTargetRow]


class ExerciseWithTopic(ExerciseRow):
    topic: TopicRow


class AssignmentExerciseDetail(AssignmentExerciseRow):
    exercise: ExerciseWithTopic


class AssignmentWithExercises(AssignmentRow):
    assignment_exercises: list[AssignmentExerciseDetail]


class StudentAssignmentOut(AssignmentTargetRow):
    """A student's target row with its assignment."""

    assignment: AssignmentWithExercises
