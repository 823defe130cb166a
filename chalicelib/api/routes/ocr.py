"""OCR routes (api.md §4.3, §4.9; DECISIONS.md §5): photo uploads for the ocrWorker and the in-request reads.

- ``POST /attempts/photo-upload-url`` (student): a presigned PUT for a photo of one's own attempt.
- ``POST /attempts/ocr-extract`` (any role): a multipart ``image`` read in-request.
- ``POST /student/guides/{guide_id}/scan-page`` (student): a full-page scan → one submission per exercise.
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.multipart import file_field
from chalicelib.api.routing import ANY_ROLE, STUDENT_ONLY, RequestContext, Routes
from chalicelib.api.schemas.ocr import (OcrExtractOut, PhotoUploadCreate, PhotoUploadOut, ScanPageCreate,
                                        ScanPageOut)
from chalicelib.services import ocr_requests
from chalicelib.services.ocr_transcription import record_cost_event
from chalicelib.settings import get_settings

routes = Routes("ocr")

IN_REQUEST_COST_WORKER = "ocr_in_request"  # cost_events.worker of the API's own provider calls


@routes.post("/attempts/photo-upload-url", auth=STUDENT_ONLY, body=PhotoUploadCreate, response=PhotoUploadOut)
def photo_upload_url(ctx: RequestContext) -> PhotoUploadOut:
    """A presigned JPEG upload for a photo of one of the caller's attempts; the ocrWorker reads it."""
    settings = get_settings()
    created = ocr_requests.photo_upload_url(
        dependencies.database(), dependencies.object_storage(), ctx.user, ctx.body.attempt_id,
        bucket=settings.s3_ocr_uploads_bucket, ttl_seconds=settings.guides_presigned_put_ttl, trace_id=ctx.trace_id)
    return PhotoUploadOut.model_validate(created)


@routes.post("/attempts/ocr-extract", auth=ANY_ROLE, response=OcrExtractOut, raw_body=True)
def ocr_extract(ctx: RequestContext) -> OcrExtractOut:
    """The exercises of a worksheet photo (multipart field ``image``), read in-request."""
    image = file_field(ctx.request.raw_body, ctx.headers.get("content-type"), "image")
    exercises = ocr_requests.extract_exercises(
        dependencies.ocr_orchestrator(), image,
        record_cost=record_cost_event(dependencies.database, IN_REQUEST_COST_WORKER), trace_id=ctx.trace_id)
    return OcrExtractOut.model_validate({"exercises": exercises})


@routes.post("/student/guides/{guide_id}/scan-page", auth=STUDENT_ONLY, body=ScanPageCreate, response=ScanPageOut,
             status=200)
def scan_page(ctx: RequestContext, guide_id: str) -> ScanPageOut:
    """OCR of a full-page scan: one submission (and grading job) per exercise matched to a question."""
    result = ocr_requests.scan_page(
        dependencies.database(), dependencies.object_storage(), dependencies.publisher(),
        dependencies.ocr_orchestrator(), ctx.user, guide_id, ctx.body.photo_key,
        bucket=get_settings().s3_submissions_bucket,
        record_cost=record_cost_event(dependencies.database, IN_REQUEST_COST_WORKER), trace_id=ctx.trace_id)
    return ScanPageOut.model_validate(result)
