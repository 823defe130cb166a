"""Wire models of the teacher guide routes (api.md §4.8, §2 "Guide row" shapes).

Request models refuse unknown fields and coercion; ``null`` is accepted only where it clears a
nullable column (``description``, ``dueAt``, ``label``, ``errorTagCode``) and is a 400 for the rest
(DECISIONS.md §7). Response models list every field of the raw rows, so the OpenAPI document shows
them; timestamps are ISO-8601 UTC with milliseconds (api.md §1.9).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from chalicelib.api.schemas.base import QueryModel, RequestModel, ResponseModel
from chalicelib.api.schemas.fields import EntityId, IsoDateTime, Timestamp
from chalicelib.domain.guide_states import GuideStatus

Text = Annotated[str, Field(max_length=5_000)]
Latex = Annotated[str, Field(min_length=1, max_length=20_000)]


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be blank")
    return value


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null")
    return value


def _list_or_empty(value: Any) -> Any:
    return [] if value is None else value  # TEXT[] columns are nullable; the wire shows []


# -- requests ----------------------------------------------------------------------------------

class GuideCreate(RequestModel):
    course_id: EntityId
    title: str = Field(min_length=1, max_length=300)
    description: Text | None = None
    file_name: str | None = Field(default=None, max_length=500)  # accepted, unused (api.md)
    content_type: Literal["application/pdf"] | None = None  # the only upload type a guide takes
    due_at: IsoDateTime | None = None

    _blank_title = field_validator("title")(_not_blank)


class GuideListQuery(QueryModel):
    course_id: EntityId | None = None
    status: GuideStatus | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = 20

    @field_validator("page_size", mode="after")
    @classmethod
    def _clamp(cls, value: int) -> int:
        return min(max(value, 1), 100)  # api.md §1.8: clamped to 1…100


class GuideUpdate(RequestModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: Text | None = None
    due_at: IsoDateTime | None = None
    max_resubmissions: int | None = Field(default=None, ge=0, le=20)
    show_solution_after_grade: bool | None = None

    _non_nullable = field_validator("title", "max_resubmissions", "show_solution_after_grade",
                                    mode="before")(_refuse_null)
    _blank_title = field_validator("title")(_not_blank)


class QuestionUpdate(RequestModel):
    statement_latex: Latex | None = None
    label: str | None = Field(default=None, max_length=100)
    points: float | None = Field(default=None, ge=0, le=1_000)
    topic_id: EntityId | None = None
    subdomain_id: EntityId | None = None
    status: Literal["APPROVED", "EXCLUDED"] | None = None

    _non_nullable = field_validator("statement_latex", "points", "topic_id", "subdomain_id", "status",
                                    mode="before")(_refuse_null)


class SolutionUpdate(RequestModel):
    final_answer: str = Field(min_length=1, max_length=20_000)
    steps_json: dict[str, Any]
    solution_latex: str | None = Field(default=None, max_length=100_000)
    expected_error_tags: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50)


class ErrorTagOverride(RequestModel):
    error_tag_code: str | None = Field(default=None, min_length=1, max_length=100)


# -- responses ---------------------------------------------------------------------------------

class GuideOut(ResponseModel):
    """The Guide row (api.md §2)."""

    id: str
    course_id: str
    created_by_teacher_id: str
    title: str
    description: str | None
    status: str
    source_pdf_key: str
    source_pdf_pages: int | None
    source_kind: str | None
    latex_key: str | None
    extraction_confidence: float | None
    extraction_model: str | None
    failure_reason: str | None
    question_count: int
    max_resubmissions: int
    show_solution_after_grade: bool
    assignment_id: str | None
    due_at: Timestamp | None
    published_at: Timestamp | None
    trace_id: str
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None


class GuideCounts(ResponseModel):
    questions: int
    submissions: int


class GuideListItem(GuideOut):
    counts: GuideCounts = Field(alias="_count")


class GuideListOut(ResponseModel):
    items: list[GuideListItem]
    total: int
    page: int
    page_size: int


class GuideQuestionOut(ResponseModel):
    """The GuideQuestion row (api.md §2)."""

    id: str
    guide_id: str
    sequence: int
    label: str | None
    statement_latex: str
    statement_json: Any = None
    figure_keys: list[str]
    provided_answer: str | None
    provided_solution_latex: str | None
    points: float
    status: str
    topic_id: str | None
    domain_id: str | None
    subdomain_id: str | None
    topic_confidence: float | None
    topic_source: str | None
    exercise_id: str | None
    created_at: Timestamp
    updated_at: Timestamp

    _figures = field_validator("figure_keys", mode="before")(_list_or_empty)


class GuideSolutionOut(ResponseModel):
    """The GuideSolution row (api.md §2)."""

    id: str
    guide_question_id: str
    version: int
    is_current: bool
    source: str
    final_answer: str
    steps_json: Any
    solution_latex: str | None
    expected_error_tags: list[str]
    generated_by_model: str | None
    prompt_version: str | None
    validation_notes: str | None
    created_by_teacher_id: str | None
    created_at: Timestamp

    _tags = field_validator("expected_error_tags", mode="before")(_list_or_empty)


class TaxonomyRef(ResponseModel):
    id: str
    code: str
    name: str


class GuideQuestionDetail(GuideQuestionOut):
    topic: TaxonomyRef | None
    solutions: list[GuideSolutionOut]
    domain: TaxonomyRef | None
    subdomain: TaxonomyRef | None


class GuideDetailOut(GuideOut):
    questions: list[GuideQuestionDetail]


class GuideCreatedOut(ResponseModel):
    guide_id: str
    presigned_put_url: str
    source_pdf_key: str


class GuideStatusOut(ResponseModel):
    status: str


class EnqueuedOut(ResponseModel):
    enqueued: bool


class PublishOut(ResponseModel):
    guide: GuideOut
    assignment_id: str
    materialized_exercises: int
    approved_without_topic: int
    students_assigned: int


class SourceUrlOut(ResponseModel):
    url: str


class ResultStudent(ResponseModel):
    id: str
    display_name: str


class ResultQuestion(ResponseModel):
    id: str
    sequence: int
    label: str | None
    points: float


class ResultCell(ResponseModel):
    submission_id: str
    question_id: str
    student_id: str
    status: str
    score: float | None
    is_correct: bool | None
    attempt_number: int
    error_tag_code: str | None
    error_tag_name: str | None
    is_overridden: bool
    is_late: bool


class TagCount(ResponseModel):
    code: str
    name: str
    count: int


class QuestionCommonErrors(ResponseModel):
    question_id: str
    tags: list[TagCount]


class GuideResultsOut(ResponseModel):
    guide_id: str
    due_at: Timestamp | None
    students: list[ResultStudent]
    questions: list[ResultQuestion]
    cells: list[ResultCell]
    common_errors: list[QuestionCommonErrors]


class SubmissionDetailOut(ResponseModel):
    submission_id: str
    question_sequence: int
    question_label: str | None
    statement_latex: str
    status: str
    score: float | None
    is_correct: bool | None
    attempt_number: int
    transcription_latex: str | None
    transcription_confidence: float | None
    alignment_json: Any = None
    failure_reason: str | None
    photo_urls: list[str]
    error_tag_code: str | None
    error_tag_name: str | None
    is_overridden: bool


class ErrorTagOverrideOut(ResponseModel):
    submission_id: str
    error_tag_code: str | None
    error_tag_name: str | None
    is_overridden: bool
