"""Student use cases of the guides pipeline (api.md §4.9, domain.md §5.4).

A student sees only PUBLISHED guides of courses with an ACTIVE enrolment, and only their own
submissions and uploads (DECISIONS.md §2); anything else is :class:`~chalicelib.errors.NotFound`.
``complete`` enqueues grading exactly once: the conditional ``UPLOADED → TRANSCRIBING`` update
decides, inside the transaction that also publishes the job (see ``guide_jobs``).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.domain import guide_states
from chalicelib.domain.guide_states import CompletionDecision, IllegalCompletion
from chalicelib.domain.guide_uploads import UploadProblem, check_photo, new_photo_key, new_scan_key
from chalicelib.domain.identity import Principal
from chalicelib.messaging.sqs_publisher import Publisher
from chalicelib.services import guide_jobs
from chalicelib.services.access import require_profile
from chalicelib.services.guide_files import GuideFiles
from chalicelib.store import guide_submissions as submission_store
from chalicelib.store.database import Database

if TYPE_CHECKING:
    from chalicelib.api.schemas.student_guides import SubmissionCreate

STUDENT_PROFILE = "Student profile"
NOT_SUBMITTED = "NOT_SUBMITTED"


def published_guide(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """A PUBLISHED guide of a course the caller is actively enrolled in, else 404."""
    student_id = require_profile(principal, STUDENT_PROFILE)
    guide = submission_store.published_guide_for_student(db, guide_id, student_id)
    if guide is None:
        raise errors.NotFound("Guide not found")
    if not guide["caller_enrolled"]:
        raise errors.NotFound("You are not enrolled in this guide course")
    return guide


def list_guides(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Published guides of the caller's active courses: due date first (undated last), then newest."""
    return submission_store.student_guides(db, require_profile(principal, STUDENT_PROFILE))


def quiz(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """The guide as a quiz: approved questions and the caller's own submissions, never a solution."""
    guide = published_guide(db, principal, guide_id)
    questions: dict[str, dict[str, Any]] = {}
    for row in submission_store.quiz_rows(db, guide_id, principal.profile_id or ""):
        question = questions.setdefault(row["id"], {
            "id": row["id"], "sequence": row["sequence"], "label": row["label"],
            "statement_latex": row["statement_latex"], "statement_json": row["statement_json"],
            "figure_keys": row["figure_keys"], "points": row["points"], "submissions": []})
        if row["submission_id"] is not None:
            question["submissions"].append({
                "id": row["submission_id"], "guide_question_id": row["id"],
                "attempt_number": row["attempt_number"], "status": row["submission_status"],
                "score": row["score"], "is_correct": row["is_correct"], "graded_at": row["graded_at"]})
    return {"guide": guide, "questions": list(questions.values())}


def create_submission(db: Database, files: GuideFiles, principal: Principal, guide_id: str, question_id: str,
                      request: "SubmissionCreate", trace_id: str) -> dict[str, Any]:
    """An ``UPLOADED`` submission with one presigned JPEG upload per declared photo.

    Keys are ``submissions/<submission_id>/<uuid>.jpg``. The cap: at most ``1 + max_resubmissions``
    submissions that did not fail. The submission's trace id is the creating request's.
    """
    guide = published_guide(db, principal, guide_id)
    if submission_store.approved_question(db, guide_id, question_id) is None:
        raise errors.NotFound("Question not found or not part of this guide")
    submission_id = str(uuid.uuid4())
    keys = [new_photo_key(submission_id) for _ in range(request.photo_count)]
    urls = [files.photo_upload_url(key) for key in keys]  # before the insert: no orphan row
    created = submission_store.insert_submission(
        db, submission_id=submission_id, guide_id=guide_id, question_id=question_id,
        student_id=principal.profile_id or "", photo_keys=keys, trace_id=trace_id,
        max_resubmissions=guide["max_resubmissions"])
    if created is None:
        raise errors.InvalidInput(f"Re-submission limit reached ({guide['max_resubmissions']})")
    return {"submission_id": created["id"], "presigned_put_urls": urls, "attempt_number": created["attempt_number"]}


def _own_submission(db: Database, principal: Principal, submission_id: str) -> dict[str, Any]:
    student_id = require_profile(principal, STUDENT_PROFILE)
    submission = submission_store.own_submission(db, submission_id, student_id)
    if submission is None:
        raise errors.NotFound("Submission not found")
    return submission


def _completion(submission: dict[str, Any]) -> CompletionDecision:
    try:
        return guide_states.completion_decision(submission["status"])
    except IllegalCompletion as exc:
        raise errors.Conflict(str(exc)) from None


def complete(db: Database, files: GuideFiles, publisher: Publisher, principal: Principal, submission_id: str,
             trace_id: str) -> dict[str, str]:
    """Hand an uploaded submission to grading, once.

    ``UPLOADED``: every photo must be in the bucket (JPEG, at most 10 MB) — else invalid input,
    nothing changes; then ``→ TRANSCRIBING`` with the current solution version and one
    submission-grade job. Already enqueued (``TRANSCRIBING``/``GRADING``/``GRADED``): the current
    status, nothing published. ``FAILED``: a conflict. The call that enqueued answers
    ``{"status": "UPLOADED"}``, the status it completed (api.md's response).
    """
    submission = _own_submission(db, principal, submission_id)
    if _completion(submission) is CompletionDecision.ALREADY_ENQUEUED:
        return {"status": submission["status"]}
    try:
        for key in submission["photo_keys"] or ():
            check_photo(files.uploaded_photo(key))
    except UploadProblem as exc:
        raise errors.InvalidInput(str(exc)) from None
    with db.transaction():
        marked = submission_store.mark_grading_enqueued(db, submission_id, principal.profile_id or "")
        if marked is not None:
            guide_jobs.enqueue_grading(publisher, marked, trace_id)
            return {"status": guide_states.SubmissionStatus.UPLOADED.value}
    # Another call completed it between our read and our update: answer like a repeated call.
    current = _own_submission(db, principal, submission_id)
    _completion(current)
    return {"status": current["status"]}


def submission_status(db: Database, principal: Principal, submission_id: str) -> dict[str, Any]:
    """Status, score and the effective error tag of one of the caller's submissions."""
    row = submission_store.submission_status(db, submission_id, require_profile(principal, STUDENT_PROFILE))
    if row is None:
        raise errors.NotFound("Submission not found")
    return row


def results(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """Per approved question, the caller's latest submission; the solution only when the guide
    shows solutions after grading and that submission is GRADED."""
    guide = published_guide(db, principal, guide_id)
    show = bool(guide["show_solution_after_grade"])
    questions = []
    for row in submission_store.student_results(db, guide_id, principal.profile_id or "", show_solution=show):
        questions.append({**row, "status": row["status"] or NOT_SUBMITTED,
                          "error_tag_name": row["error_tag_name"] or None})  # empty-as-null (api.md)
    return {"guide_id": guide_id, "show_solution": show, "questions": questions}


def scan_page_upload(db: Database, files: GuideFiles, principal: Principal, guide_id: str) -> dict[str, str]:
    """A presigned JPEG upload under ``guide-scans/<guide_id>/<student_id>/`` (the caller's own prefix)."""
    published_guide(db, principal, guide_id)
    key = new_scan_key(guide_id, principal.profile_id or "")
    return {"photo_key": key, "presigned_url": files.photo_upload_url(key)}
