"""``/student/*`` guide routes: the student side of the guides pipeline (api.md §4.9). Students
only; they reach published guides of their active courses and their own submissions and uploads.

``POST /student/guides/{guide_id}/scan-page`` (inline OCR of a full page) belongs to the AI-workers
area, which builds it on the OCR orchestrator.
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import STUDENT_ONLY, RequestContext, Routes
from chalicelib.api.schemas.student_guides import (CompletionOut, QuizOut, ScanPageUrlOut, StudentGuideItem,
                                                   StudentResultsOut, SubmissionCreate, SubmissionCreatedOut,
                                                   SubmissionStatusOut)
from chalicelib.services import guide_submission_service

routes = Routes("student_guides")


@routes.get("/student/guides", auth=STUDENT_ONLY, response=list[StudentGuideItem])
def list_guides(ctx: RequestContext) -> list[StudentGuideItem]:
    """Published guides of the caller's courses with their progress."""
    guides = guide_submission_service.list_guides(dependencies.database(), ctx.user)
    return [StudentGuideItem.model_validate(guide) for guide in guides]


@routes.get("/student/guides/{guide_id}", auth=STUDENT_ONLY, response=QuizOut)
def quiz(ctx: RequestContext, guide_id: str) -> QuizOut:
    """The guide's approved questions and the caller's own submissions (no solutions)."""
    return QuizOut.model_validate(guide_submission_service.quiz(dependencies.database(), ctx.user, guide_id))


@routes.post("/student/guides/{guide_id}/questions/{question_id}/submissions", auth=STUDENT_ONLY,
             body=SubmissionCreate, response=SubmissionCreatedOut)
def create_submission(ctx: RequestContext, guide_id: str, question_id: str) -> SubmissionCreatedOut:
    """Start a photo submission for a question: one presigned JPEG upload per photo."""
    created = guide_submission_service.create_submission(dependencies.database(), dependencies.guide_files(),
                                                         ctx.user, guide_id, question_id, ctx.body, ctx.trace_id)
    return SubmissionCreatedOut.model_validate(created)


@routes.get("/student/guides/{guide_id}/results", auth=STUDENT_ONLY, response=StudentResultsOut)
def results(ctx: RequestContext, guide_id: str) -> StudentResultsOut:
    """The caller's latest result per question (and the solution when the guide shows it)."""
    return StudentResultsOut.model_validate(
        guide_submission_service.results(dependencies.database(), ctx.user, guide_id))


@routes.get("/student/guides/{guide_id}/scan-page-url", auth=STUDENT_ONLY, response=ScanPageUrlOut)
def scan_page_url(ctx: RequestContext, guide_id: str) -> ScanPageUrlOut:
    """A presigned JPEG upload for a full-page scan, under the caller's own key prefix."""
    return ScanPageUrlOut.model_validate(
        guide_submission_service.scan_page_upload(dependencies.database(), dependencies.guide_files(), ctx.user,
                                                  guide_id))


@routes.post("/student/submissions/{submission_id}/complete", auth=STUDENT_ONLY, status=202,
             response=CompletionOut)
def complete_submission(ctx: RequestContext, submission_id: str) -> CompletionOut:
    """Hand the uploaded photos to grading (idempotent: a repeated call enqueues nothing)."""
    result = guide_submission_service.complete(dependencies.database(), dependencies.guide_files(),
                                               dependencies.publisher(), ctx.user, submission_id, ctx.trace_id)
    return CompletionOut.model_validate(result)


@routes.get("/student/submissions/{submission_id}/status", auth=STUDENT_ONLY, response=SubmissionStatusOut)
def submission_status(ctx: RequestContext, submission_id: str) -> SubmissionStatusOut:
    """Status, score and error tag of one of the caller's submissions."""
    return SubmissionStatusOut.model_validate(
        guide_submission_service.submission_status(dependencies.database(), ctx.user, submission_id))
