"""Wire models of ``/attempts`` (api.md §4.3, DECISIONS.md §3, §5).

Size limits (a request over any of them is a 400 naming the field): at most
:data:`MAX_STEPS` raw steps of at most :data:`MAX_EXPRESSION_LENGTH` characters, at most
:data:`MAX_EVENTS` telemetry events whose JSON takes at most :data:`MAX_EVENTS_BYTES` bytes (the
telemetry message must fit in one SQS message of 256 KiB), ids and topic references of at most 200
characters. Answers and operands are JSON numbers (not strings, not booleans) and finite.
"""
from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, field_validator

from chalicelib.api.schemas.base import RequestModel, ResponseModel
from chalicelib.api.schemas.fields import EntityId

MAX_STEPS = 100
MAX_EXPRESSION_LENGTH = 1_000
MAX_EVENTS = 1_000
MAX_EVENTS_BYTES = 128 * 1024
MAX_EVENT_TIME_MS = 24 * 3600 * 1000  # an attempt lasts less than a day
MAX_PROBLEM_LENGTH = 5_000
MAX_ANSWER_TEXT_LENGTH = 1_000
MAX_COMMENT_LENGTH = 500

Number = Annotated[float, Field(allow_inf_nan=False)]


class RawStepIn(RequestModel):
    expression: str = Field(max_length=MAX_EXPRESSION_LENGTH)
    is_final: bool


class AttemptEventIn(RequestModel):
    """A client event (DECISIONS.md §5): milliseconds since the attempt started, a type, a payload."""

    t: int = Field(ge=0, le=MAX_EVENT_TIME_MS)
    type: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)


class AttemptCreate(RequestModel):
    """``POST /attempts``: one digitally solved exercise."""

    student_id: EntityId
    topic_code: EntityId = Field(description="a topic id, a qualified code <unit code>/<topic code>, "
                                                "or a bare topic code that names exactly one topic")
    exercise_id: EntityId | None = None
    course_id: EntityId | None = None
    raw_steps: list[RawStepIn] = Field(max_length=MAX_STEPS)
    expected_answer: Number
    student_answer: Number
    minuend: Number | None = None
    subtrahend: Number | None = None
    events: list[AttemptEventIn] | None = Field(default=None, max_length=MAX_EVENTS)

    @field_validator("events")
    @classmethod
    def _events_fit_in_a_message(cls, events: list[AttemptEventIn] | None) -> list[AttemptEventIn] | None:
        if events:
            size = len(json.dumps([e.model_dump() for e in events], separators=(",", ":"), ensure_ascii=False)
                       .encode())
            if size > MAX_EVENTS_BYTES:
                raise ValueError(f"events take {size} bytes as JSON, more than the {MAX_EVENTS_BYTES} allowed")
        return events


class AttemptCreated(ResponseModel):
    """api.md's response plus the student's mastery of the topic after this attempt."""

    attempt_id: str
    is_correct: bool
    error_tag_code: str
    classifier_source: str
    confidence: float
    p_known: float
    mastery_level: str


class AdhocSolveCreate(RequestModel):
    """``POST /attempts/solve-adhoc``: a scanned problem solved asynchronously."""

    student_id: EntityId
    problem_latex: str = Field(min_length=1, max_length=MAX_PROBLEM_LENGTH)
    student_steps: list[Annotated[str, Field(max_length=MAX_EXPRESSION_LENGTH)]] | None = Field(
        default=None, max_length=MAX_STEPS)
    student_final_answer: str = Field(max_length=MAX_ANSWER_TEXT_LENGTH)
    course_id: EntityId | None = None
    grade_level: int | None = Field(default=None, ge=1, le=12)


class AdhocSolveCreated(ResponseModel):
    attempt_id: str


class AttemptStatusOut(ResponseModel):
    attempt_id: str
    status: str
    is_correct: bool
    error_tag_code: str | None
    error_tag_name: str | None
    classifier_source: str
    confidence: float | None


class AttemptStepOut(ResponseModel):
    step_index: int
    content_latex: str
    is_correct: bool | None


class AttemptSubmissionOut(ResponseModel):
    photo_urls: list[str]
    transcription_latex: str | None
    transcription_json: Any
    transcription_confidence: float | None


class AttemptDetailOut(AttemptStatusOut):
    steps: list[AttemptStepOut]
    submission: AttemptSubmissionOut | None


class AttemptReportCreate(RequestModel):
    """``POST /attempts/:id/report``: the tag the caller believes is right."""

    error_tag_code: str = Field(min_length=1, max_length=200)
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_LENGTH)


class AttemptReported(ResponseModel):
    attempt_id: str
    reported: bool
