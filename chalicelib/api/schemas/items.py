"""Wire models of ``/items/*`` (api.md §2 ItemView, §4.6; workers.md §7.7).

A created item is answered as the Exercise row, :class:`chalicelib.api.schemas.rows.ExerciseRow`.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from chalicelib.api.schemas.base import QueryModel, RequestModel, ResponseModel
from chalicelib.api.schemas.fields import Timestamp
from chalicelib.domain.irt import DIFFICULTY_RANGE, DISCRIMINATION_RANGE

# The valid 2PL ranges of domain.md §3.1 (a ∈ [0.1, 3], b ∈ [−3, 3]).
IRT_A = {"ge": DISCRIMINATION_RANGE[0], "le": DISCRIMINATION_RANGE[1], "allow_inf_nan": False}
IRT_B = {"ge": DIFFICULTY_RANGE[0], "le": DIFFICULTY_RANGE[1], "allow_inf_nan": False}


class ItemContentIn(RequestModel):
    """``{prompt}`` (api.md); ``expectedAnswer`` is also accepted, as the item view reads it."""

    prompt: str = Field(min_length=1, max_length=5000)
    expected_answer: float | None = Field(None, allow_inf_nan=False)

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Invalid item content schema: prompt must not be blank")
        return value


class ItemCreate(RequestModel):
    skill_id: str = Field(min_length=1, max_length=200, description="a topic id")
    content: ItemContentIn
    irt_a: float = Field(**IRT_A)
    irt_b: float = Field(**IRT_B)


class ItemListQuery(QueryModel):
    skill_key: str | None = Field(None, max_length=200, description="topic id, unit/code or code (wins over topic)")
    topic: str | None = Field(None, max_length=200)
    limit: int = Field(32, description="clamped to 1…100")

    @field_validator("limit")
    @classmethod
    def _clamp(cls, value: int) -> int:
        return min(max(value, 1), 100)


class ItemGenerateIn(RequestModel):
    subdomain_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z][A-Z0-9_]*$")
    grade_level: int = Field(ge=1, le=12)
    target_error_codes: list[str] = Field(min_length=1, max_length=20)
    count: int = Field(ge=1, le=10)

    @field_validator("target_error_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        if any(not code or len(code) > 200 for code in value):
            raise ValueError("each code must be 1 to 200 characters")
        return value


class ItemContentOut(ResponseModel):
    prompt: str
    problem: str
    expected_answer: float | None
    correct_answer_latex: str | None = Field(alias="correct_answer_latex")


class ItemViewOut(ResponseModel):
    id: str
    topic_id: str
    topic_code: str
    topic_name: str
    content: ItemContentOut
    difficulty: str = Field(description="easy (irtB ≤ −0.4), hard (irtB ≥ 0.7) or medium")
    irt_a: float
    irt_b: float
    source: str
    created_at: Timestamp


class IrtOut(ResponseModel):
    irt_a: float
    irt_b: float


class GenerateOut(ResponseModel):
    generated: int
    message: str
