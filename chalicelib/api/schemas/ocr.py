"""Wire models of the OCR routes (api.md §4.3 photo-upload-url and ocr-extract, §4.9 scan-page)."""
from __future__ import annotations

from pydantic import Field

from chalicelib.api.schemas.base import RequestModel, ResponseModel, omit_if_none


class PhotoUploadCreate(RequestModel):
    attempt_id: str = Field(min_length=1, max_length=200)


class PhotoUploadOut(ResponseModel):
    upload_id: str
    photo_key: str
    presigned_url: str
    # Addition to api.md: the URL signs these headers (content type and the attempt metadata), so the
    # client's PUT must send them as given; header names are not camel-cased.
    upload_headers: dict[str, str]


class OcrStepOut(ResponseModel):
    expression: str
    is_final: bool


class OcrExerciseOut(ResponseModel):
    problem: str
    raw_steps: list[OcrStepOut]
    final_answer: str
    topic_hint: str | None
    confidence: float


class OcrExtractOut(ResponseModel):
    exercises: list[OcrExerciseOut]


class ScanPageCreate(RequestModel):
    photo_key: str = Field(min_length=1, max_length=500)


class ScanPageSubmissionOut(ResponseModel):
    question_id: str
    sequence: int
    submission_id: str | None
    skipped: bool
    reason: str | None = omit_if_none()


class ScanPageOut(ResponseModel):
    photo_key: str
    matched: int
    submissions: list[ScanPageSubmissionOut]
