"""The JSON bodies of every queue (workers.md §7), shared by producers and consumers.

Field names are exactly the wire names (camelCase for the attempt stream, snake_case elsewhere,
for historical reasons). Consumers validate with these models; producers build them, so a
schema change breaks both sides' tests at once. Unknown keys are ignored on read (the external AI
engine may add some) but never produced.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RawStep(Message):
    expression: str
    isFinal: bool = False


class KeystrokeEvent(Message):
    """A client event: ``t`` milliseconds, a type, a free-form payload (DECISIONS.md §5)."""

    t: int = Field(ge=0)
    type: str = Field(min_length=1, max_length=64)
    payload: dict = Field(default_factory=dict)


class AttemptTelemetry(Message):
    """§7.1 attempt-stream.fifo (group id = student id, dedup id = attempt id)."""

    attemptId: str = Field(min_length=1)
    traceId: str
    rawSteps: list[RawStep]
    studentId: str | None = None
    courseId: str | None = None
    events: list[KeystrokeEvent] | None = None


class LlmClassifyRequest(Message):
    """§7.2 llm-classify-queue."""

    id: str = Field(min_length=1)
    topic: str | None
    domain_id: str | None = None
    subdomain_code: str | None = None
    problem_statement: str
    canonical_solution: str
    raw_steps: list[RawStep]
    final_answer: str
    student_id: str = ""
    trace_id: str | None = None


class AlignmentSummary(Message):
    path: str = Field(pattern=r"^(MAIN|ALT_\d+|UNALIGNED)$")
    first_error_checkpoint: int | None
    score_0_1: float = Field(ge=0, le=1)


class AttemptReprocess(Message):
    """§7.3 attempt-reprocess-queue: shape A (legacy OCR re-read) or B (graded guide submission)."""

    attempt_id: str | None = None
    latex_steps: list[str]
    provider: str
    confidence: float = Field(ge=0, le=1)
    trace_id: str = ""
    guide_submission_id: str | None = None
    guide_question_id: str | None = None
    alignment_summary: AlignmentSummary | None = None

    @field_validator("trace_id", mode="before")
    @classmethod
    def _none_trace_is_empty(cls, value):
        return "" if value is None else value

    @property
    def is_guide_submission(self) -> bool:
        """Shape B: a non-empty ``guide_submission_id`` decides the path (§6.1)."""
        return bool(self.guide_submission_id)

    def model_post_init(self, __context) -> None:
        if self.is_guide_submission:
            if not self.guide_question_id or self.alignment_summary is None:
                raise ValueError("guide submission messages need guide_question_id and alignment_summary")
        elif not self.attempt_id:
            raise ValueError("a message needs attempt_id or guide_submission_id")


class GuideIngest(Message):
    """§7.4 guide-ingest-queue."""

    guide_id: str
    source_pdf_key: str
    course_grade_level: int = Field(ge=0, le=12)
    trace_id: str


class SolutionGeneration(Message):
    """§7.5 solution-generation-queue (``guide_question_id`` null = every question)."""

    guide_id: str
    guide_question_id: str | None
    trace_id: str


class SubmissionGrade(Message):
    """§7.6 submission-grade-queue."""

    guide_submission_id: str
    guide_question_id: str
    solution_version: int = Field(ge=0)
    photo_keys: list[str] = Field(min_length=1, max_length=3)
    trace_id: str


class ExerciseGenerate(Message):
    """§7.7 exercise-generate-queue."""

    subdomain_code: str = Field(min_length=1)
    grade_level: int = Field(ge=1, le=12)
    target_error_codes: list[str] = Field(min_length=1)
    count: int = Field(ge=1, le=10)
    trace_id: str


class AdhocSolve(Message):
    """§7.9 adhoc-solve-queue."""

    attempt_id: str
    problem_latex: str
    student_steps: list[str] = Field(default_factory=list)
    student_final_answer: str
    student_id: str | None = None
    grade_level: int = 7
    trace_id: str
