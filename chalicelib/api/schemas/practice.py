"""Wire models of ``/practice`` (api.md §4.11)."""
from __future__ import annotations

from pydantic import Field

from chalicelib.api.schemas.assignments import MAX_EXERCISES
from chalicelib.api.schemas.base import QueryModel, RequestModel, ResponseModel, omit_if_none
from chalicelib.api.schemas.fields import EntityId, IsoDateTime, Timestamp


class PracticeAssignIn(RequestModel):
    student_id: EntityId
    item_ids: list[EntityId] = Field(min_length=1, max_length=MAX_EXERCISES)
    due_at: IsoDateTime | None = None


class PracticeAssignOut(ResponseModel):
    """``dueAt`` is present only when set."""

    id: str
    student_id: str
    item_ids: list[str]
    due_at: Timestamp | None = omit_if_none()


class RecommendNextQuery(QueryModel):
    student_id: EntityId
    domain_id: EntityId | None = None


class PracticeExercise(ResponseModel):
    id: str
    problem: str
    topic_code: str
    topic_name: str
    irt_a: float
    irt_b: float


class RecommendNextOut(ResponseModel):
    exercise: PracticeExercise
    student_theta: float
    reasoning: str
