"""Wire models of the student guide routes (api.md §4.9). Quiz views never include solutions."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from chalicelib.api.schemas.base import RequestModel, ResponseModel
from chalicelib.api.schemas.guides import GuideSolutionOut, Timestamp


class SubmissionCreate(RequestModel):
    photo_count: int = Field(ge=1, le=3)
    content_type: Literal["image/jpeg"] | None = None  # photos are JPEG (keys end in .jpg)


class StudentGuideItem(ResponseModel):
    id: str
    title: str
    description: str | None
    due_at: Timestamp | None
    total_questions: int
    graded_questions: int


class QuizGuide(ResponseModel):
    id: str
    title: str
    due_at: Timestamp | None
    max_resubmissions: int


class OwnSubmission(ResponseModel):
    id: str
    guide_question_id: str
    attempt_number: int
    status: str
    score: float | None
    is_correct: bool | None
    graded_at: Timestamp | None


class QuizQuestion(ResponseModel):
    id: str
    sequence: int
    label: str | None
    statement_latex: str
    statement_json: Any = None
    figure_keys: list[str]
    points: float
    submissions: list[OwnSubmission]

    @field_validator("figure_keys", mode="before")
    @classmethod
    def _figures(cls, value: Any) -> Any:
        return [] if value is None else value


class QuizOut(ResponseModel):
    guide: QuizGuide
    questions: list[QuizQuestion]


class SubmissionCreatedOut(ResponseModel):
    submission_id: str
    presigned_put_urls: list[str]
    attempt_number: int


class CompletionOut(ResponseModel):
    status: str


class SubmissionStatusOut(ResponseModel):
    id: str
    status: str
    score: float | None
    is_correct: bool | None
    error_tag_code: str | None
    error_tag_name: str | None
    diagnostic_hint: str | None
    graded_at: Timestamp | None


class StudentQuestionResult(ResponseModel):
    question_id: str
    sequence: int
    label: str | None
    points: float
    status: str  # the latest submission's status, or NOT_SUBMITTED
    score: float | None
    is_correct: bool | None
    error_tag_code: str | None
    error_tag_name: str | None
    solution: GuideSolutionOut | None


class StudentResultsOut(ResponseModel):
    guide_id: str
    show_solution: bool
    questions: list[StudentQuestionResult]


class ScanPageUrlOut(ResponseModel):
    photo_key: str
    presigned_url: str
