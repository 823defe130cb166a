"""``/guides/*``: the teacher side of the guides pipeline (api.md §4.8). Teachers only; a guide of
a course the caller does not teach answers 404 (DECISIONS.md §2)."""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import TEACHER_ONLY, RequestContext, Routes
from chalicelib.api.schemas.guides import (EnqueuedOut, ErrorTagOverride, ErrorTagOverrideOut, GuideCreate,
                                           GuideCreatedOut, GuideDetailOut, GuideListOut, GuideListQuery, GuideOut,
                                           GuideQuestionOut, GuideResultsOut, GuideSolutionOut, GuideStatusOut,
                                           GuideUpdate, PublishOut, QuestionUpdate, SolutionUpdate, SourceUrlOut,
                                           SubmissionDetailOut)
from chalicelib.services import guide_results_service, guide_service

routes = Routes("guides")


@routes.post("/guides", auth=TEACHER_ONLY, body=GuideCreate, response=GuideCreatedOut)
def create_guide(ctx: RequestContext) -> GuideCreatedOut:
    """Create a guide for a course the caller teaches; returns a presigned PUT for its PDF."""
    created = guide_service.create_guide(dependencies.database(), dependencies.guide_files(), ctx.user, ctx.body,
                                         ctx.trace_id)
    return GuideCreatedOut.model_validate(created)


@routes.get("/guides", auth=TEACHER_ONLY, query=GuideListQuery, response=GuideListOut)
def list_guides(ctx: RequestContext) -> GuideListOut:
    """The caller's unarchived guides, newest first, one page."""
    return GuideListOut.model_validate(guide_service.list_guides(dependencies.database(), ctx.user, ctx.query))


@routes.get("/guides/{guide_id}", auth=TEACHER_ONLY, response=GuideDetailOut)
def get_guide(ctx: RequestContext, guide_id: str) -> GuideDetailOut:
    """The guide with its questions, their classification and current solutions."""
    return GuideDetailOut.model_validate(guide_service.get_guide(dependencies.database(), ctx.user, guide_id))


@routes.patch("/guides/{guide_id}", auth=TEACHER_ONLY, body=GuideUpdate, response=GuideOut)
def update_guide(ctx: RequestContext, guide_id: str) -> GuideOut:
    """Change title, description, due date, re-submission cap or solution visibility."""
    return GuideOut.model_validate(
        guide_service.update_guide(dependencies.database(), ctx.user, guide_id, ctx.body))


@routes.delete("/guides/{guide_id}", auth=TEACHER_ONLY, response=GuideOut)
def archive_guide(ctx: RequestContext, guide_id: str) -> GuideOut:
    """Archive the guide (from any status but ARCHIVED)."""
    return GuideOut.model_validate(guide_service.archive(dependencies.database(), ctx.user, guide_id))


@routes.post("/guides/{guide_id}/ingest", auth=TEACHER_ONLY, status=202, response=GuideStatusOut)
def ingest_guide(ctx: RequestContext, guide_id: str) -> GuideStatusOut:
    """Start or retry extraction of the uploaded PDF (no-op while extraction runs)."""
    result = guide_service.ingest(dependencies.database(), dependencies.guide_files(), dependencies.publisher(),
                                  ctx.user, guide_id, ctx.trace_id)
    return GuideStatusOut.model_validate(result)


@routes.get("/guides/{guide_id}/source-url", auth=TEACHER_ONLY, response=SourceUrlOut)
def guide_source_url(ctx: RequestContext, guide_id: str) -> SourceUrlOut:
    """A short-lived URL of the guide's PDF."""
    return SourceUrlOut.model_validate(
        guide_service.source_url(dependencies.database(), dependencies.guide_files(), ctx.user, guide_id))


@routes.patch("/guides/{guide_id}/questions/{question_id}", auth=TEACHER_ONLY, body=QuestionUpdate,
              response=GuideQuestionOut)
def update_question(ctx: RequestContext, guide_id: str, question_id: str) -> GuideQuestionOut:
    """Edit, approve or exclude a question, or confirm its topic/subdomain."""
    question = guide_service.update_question(dependencies.database(), ctx.user, guide_id, question_id, ctx.body)
    return GuideQuestionOut.model_validate(question)


@routes.patch("/guides/{guide_id}/questions/{question_id}/solution", auth=TEACHER_ONLY, body=SolutionUpdate,
              response=GuideSolutionOut)
def update_solution(ctx: RequestContext, guide_id: str, question_id: str) -> GuideSolutionOut:
    """Save a teacher-edited solution as the question's new current version."""
    solution = guide_service.update_solution(dependencies.database(), ctx.user, guide_id, question_id, ctx.body)
    return GuideSolutionOut.model_validate(solution)


@routes.post("/guides/{guide_id}/questions/{question_id}/regenerate-solution", auth=TEACHER_ONLY, status=202,
             response=EnqueuedOut)
def regenerate_solution(ctx: RequestContext, guide_id: str, question_id: str) -> EnqueuedOut:
    """Ask the AI engine for a new solution of one question."""
    result = guide_service.regenerate_solution(dependencies.database(), dependencies.publisher(), ctx.user,
                                               guide_id, question_id, ctx.trace_id)
    return EnqueuedOut.model_validate(result)


@routes.post("/guides/{guide_id}/publish", auth=TEACHER_ONLY, response=PublishOut)
def publish_guide(ctx: RequestContext, guide_id: str) -> PublishOut:
    """Publish a reviewed guide: assignment, exercises, visible to the course's students."""
    return PublishOut.model_validate(guide_service.publish(dependencies.database(), ctx.user, guide_id))


@routes.get("/guides/{guide_id}/results", auth=TEACHER_ONLY, response=GuideResultsOut)
def guide_results(ctx: RequestContext, guide_id: str) -> GuideResultsOut:
    """Student × question matrix of the latest submissions, with the common errors per question."""
    return GuideResultsOut.model_validate(
        guide_results_service.results(dependencies.database(), ctx.user, guide_id))


@routes.get("/guides/{guide_id}/submissions/{submission_id}", auth=TEACHER_ONLY,
            response=SubmissionDetailOut)
def submission_detail(ctx: RequestContext, guide_id: str, submission_id: str) -> SubmissionDetailOut:
    """One submission with its transcription, alignment and photo URLs."""
    detail = guide_results_service.submission_detail(dependencies.database(), dependencies.guide_files(), ctx.user,
                                                     guide_id, submission_id)
    return SubmissionDetailOut.model_validate(detail)


@routes.patch("/guides/{guide_id}/submissions/{submission_id}/error-tag", auth=TEACHER_ONLY,
              body=ErrorTagOverride, response=ErrorTagOverrideOut)
def override_error_tag(ctx: RequestContext, guide_id: str, submission_id: str) -> ErrorTagOverrideOut:
    """Set or clear the teacher's error-tag override of a submission."""
    result = guide_results_service.set_error_tag_override(dependencies.database(), ctx.user, guide_id,
                                                          submission_id, ctx.body)
    return ErrorTagOverrideOut.model_validate(result)
