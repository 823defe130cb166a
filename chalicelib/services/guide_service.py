"""Teacher use cases of the guides pipeline (api.md §4.8, domain.md §5.1–5.3).

A teacher reaches only the guides of courses they teach (DECISIONS.md §2): anything else is
:class:`~chalicelib.errors.NotFound`. Every status change is decided by
``chalicelib.domain.guide_states`` (an illegal move is a :class:`~chalicelib.errors.Conflict`) and
written compare-and-set under a row lock. Questions and solutions are frozen once a guide is
published or archived: students are graded against them and exercises were made from them.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.domain import guide_states
from chalicelib.domain.guide_solutions import InvalidSolution, is_publishable, parse_solution
from chalicelib.domain.guide_states import GuideStatus, IllegalGuideTransition
from chalicelib.domain.guide_uploads import UploadProblem, check_pdf, new_pdf_key
from chalicelib.domain.identity import Principal
from chalicelib.messaging.sqs_publisher import Publisher
from chalicelib.services import guide_jobs
from chalicelib.services.access import require_course, require_profile
from chalicelib.services.guide_files import GuideFiles
from chalicelib.store import guides as guide_store
from chalicelib.store.database import Database

if TYPE_CHECKING:  # request models of the HTTP edge, used here as plain value objects
    from chalicelib.api.schemas.guides import (GuideCreate, GuideListQuery, GuideUpdate, QuestionUpdate,
                                               SolutionUpdate)

TEACHER_PROFILE = "Teacher profile"


def owned_guide(db: Database, principal: Principal, guide_id: str, *, lock: str | None = None) -> dict[str, Any]:
    """The guide of a course the caller teaches (``lock``: ``"update"``/``"share"``), else 404."""
    teacher_id = require_profile(principal, TEACHER_PROFILE)
    guide = guide_store.guide_for_teacher(db, guide_id, teacher_id, lock=lock)
    if guide is None:
        raise errors.NotFound("Guide not found")
    if not guide["caller_teaches"]:
        raise errors.NotFound("You do not teach this guide course")
    return guide


def _move(guide: dict[str, Any], target: GuideStatus, message: str | None = None) -> GuideStatus:
    try:
        return guide_states.transition(guide["status"], target, message=message)
    except IllegalGuideTransition as exc:
        raise errors.Conflict(str(exc)) from None


def _require_editable_content(guide: dict[str, Any]) -> None:
    status = guide_states.parse_status(guide["status"])
    if status in guide_states.CONTENT_LOCKED:
        raise errors.Conflict(f"Guide in status {status.value} cannot be edited: its questions and solutions "
                              "are frozen once published")


# -- create, list, read ------------------------------------------------------------------------

def create_guide(db: Database, files: GuideFiles, principal: Principal, request: "GuideCreate",
                 trace_id: str) -> dict[str, Any]:
    """A new ``UPLOADED`` guide and a presigned PUT for its PDF (``application/pdf`` signed).

    The guide's trace id is the creating request's, so the whole pipeline of this guide is one trace.
    """
    teacher_id = require_profile(principal, TEACHER_PROFILE)
    require_course(db, principal, request.course_id, manage=True, message="You do not teach this course")
    key = new_pdf_key()
    upload_url = files.pdf_upload_url(key)  # before the insert: an unconfigured bucket leaves no orphan
    guide = guide_store.insert_guide(
        db, guide_id=str(uuid.uuid4()), course_id=request.course_id, teacher_id=teacher_id, title=request.title,
        description=request.description, due_at=request.due_at, source_pdf_key=key, trace_id=trace_id)
    return {"guide_id": guide["id"], "presigned_put_url": upload_url, "source_pdf_key": key}


def list_guides(db: Database, principal: Principal, query: "GuideListQuery") -> dict[str, Any]:
    """A page of the caller's unarchived guides (optionally one course, one status), newest first."""
    teacher_id = require_profile(principal, TEACHER_PROFILE)
    if query.course_id is not None:
        require_course(db, principal, query.course_id, manage=True, message="You do not teach this course")
    rows, total = guide_store.list_guides(
        db, teacher_id=teacher_id, course_id=query.course_id,
        status=query.status.value if query.status else None,
        limit=query.page_size, offset=(query.page - 1) * query.page_size)
    items = [{**row, "counts": {"questions": row["question_total"], "submissions": row["submission_total"]}}
             for row in rows]
    return {"items": items, "total": total, "page": query.page, "page_size": query.page_size}


def get_guide(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """The guide with its questions (by sequence), each with taxonomy refs and its current solution."""
    guide = owned_guide(db, principal, guide_id)
    questions = []
    for row in guide_store.questions_with_context(db, guide_id):
        current = row.pop("current_solution")
        questions.append({**row, "solutions": [current] if current else []})
    return {**guide, "questions": questions}


def source_url(db: Database, files: GuideFiles, principal: Principal, guide_id: str) -> dict[str, str]:
    guide = owned_guide(db, principal, guide_id)
    return {"url": files.pdf_download_url(guide["source_pdf_key"])}


# -- metadata ----------------------------------------------------------------------------------

def update_guide(db: Database, principal: Principal, guide_id: str, request: "GuideUpdate") -> dict[str, Any]:
    """Change the given fields, in any status (a published guide's due date and solution visibility
    stay editable; its assignment follows title and due date). ``null`` clears description/dueAt."""
    changes = {name: getattr(request, name) for name in request.model_fields_set}
    with db.transaction():
        owned_guide(db, principal, guide_id, lock="update")
        return guide_store.update_guide(db, guide_id, changes)


# -- ingestion ---------------------------------------------------------------------------------

def ingest(db: Database, files: GuideFiles, publisher: Publisher, principal: Principal, guide_id: str,
           trace_id: str) -> dict[str, str]:
    """Start or retry extraction: ``→ EXTRACTING`` and a guide-ingest job, or a no-op while running.

    The uploaded PDF is checked first (present, ``application/pdf``, at most 20 MB): a bad file is
    refused as invalid input and the guide stays where it was.
    """
    with db.transaction():
        guide = owned_guide(db, principal, guide_id, lock="update")
        try:
            decision = guide_states.ingest_decision(guide["status"])
        except IllegalGuideTransition as exc:
            raise errors.Conflict(str(exc)) from None
        if decision is guide_states.IngestDecision.ALREADY_RUNNING:
            return {"status": guide["status"]}
        try:
            check_pdf(files.uploaded_pdf(guide["source_pdf_key"]))
        except UploadProblem as exc:
            raise errors.InvalidInput(str(exc)) from None
        moved = guide_store.change_status(db, guide_id, expected=guide["status"],
                                          new_status=_move(guide, GuideStatus.EXTRACTING).value, clear_failure=True)
        if moved is None:  # pragma: no cover - the row is locked; kept as a guard for the CAS
            raise errors.Conflict("Guide changed concurrently, retry")
        guide_jobs.enqueue_ingest(publisher, guide, trace_id)
    return {"status": moved["status"]}


# -- questions and solutions -------------------------------------------------------------------

def _question(db: Database, guide_id: str, question_id: str, *, lock: bool = False) -> dict[str, Any]:
    question = guide_store.question_in_guide(db, guide_id, question_id, lock=lock)
    if question is None:
        raise errors.NotFound("Question not found in guide")
    return question


def update_question(db: Database, principal: Principal, guide_id: str, question_id: str,
                    request: "QuestionUpdate") -> dict[str, Any]:
    """Edit a question before publishing; confirming a subdomain or topic classifies it as the
    teacher's (confidence 1.0). A subdomain also brings its taxonomy topic (DECISIONS.md §7)."""
    given = request.model_fields_set
    changes: dict[str, Any] = {name: getattr(request, name)
                               for name in ("statement_latex", "label", "points", "status") if name in given}
    with db.transaction():
        guide = owned_guide(db, principal, guide_id, lock="share")
        question = _question(db, guide_id, question_id, lock=True)
        _require_editable_content(guide)
        if "subdomain_id" in given:  # takes precedence over topicId (api.md)
            subdomain = guide_store.subdomain_with_taxonomy_topic(db, request.subdomain_id)
            if subdomain is None:
                raise errors.NotFound("Subdomain not found")
            changes.update(subdomain_id=subdomain["id"], domain_id=subdomain["domain_id"],
                           topic_source="TEACHER", topic_confidence=1.0)
            if subdomain["taxonomy_topic_id"]:
                changes["topic_id"] = subdomain["taxonomy_topic_id"]
        elif "topic_id" in given:
            topic = guide_store.topic_classification(db, request.topic_id)
            if topic is None:
                raise errors.NotFound("Topic not found")
            changes.update(topic_id=topic["id"], domain_id=topic["domain_id"], subdomain_id=topic["subdomain_id"],
                           topic_source="TEACHER", topic_confidence=1.0)
        if not changes:
            return question
        return guide_store.update_question(db, question_id, changes)


def update_solution(db: Database, principal: Principal, guide_id: str, question_id: str,
                    request: "SolutionUpdate") -> dict[str, Any]:
    """A teacher-edited solution version (``max + 1``) that becomes the question's current one."""
    teacher_id = require_profile(principal, TEACHER_PROFILE)
    with db.transaction():
        guide = owned_guide(db, principal, guide_id, lock="share")
        _question(db, guide_id, question_id, lock=True)  # serialises edits of one question
        _require_editable_content(guide)
        try:
            solution = parse_solution(request.steps_json)
        except InvalidSolution as exc:
            raise errors.InvalidInput(str(exc)) from None
        return guide_store.insert_teacher_solution(
            db, solution_id=str(uuid.uuid4()), question_id=question_id, final_answer=request.final_answer,
            steps_json=solution.document(), solution_latex=request.solution_latex,
            expected_error_tags=list(request.expected_error_tags or []), teacher_id=teacher_id)


def regenerate_solution(db: Database, publisher: Publisher, principal: Principal, guide_id: str,
                        question_id: str, trace_id: str) -> dict[str, bool]:
    """Enqueue solution generation for one question (no status change: the guide stays in REVIEW)."""
    guide = owned_guide(db, principal, guide_id)
    _question(db, guide_id, question_id)
    _require_editable_content(guide)
    return {"enqueued": guide_jobs.enqueue_solution(publisher, guide, question_id, trace_id)}


# -- publishing and archiving ------------------------------------------------------------------

def publish(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """``REVIEW → PUBLISHED`` with its GUIDE assignment and exercises, in one transaction.

    Refused (nothing written) when a question is still unreviewed, when no question is approved, or
    when an approved question has no current solution with a checkpoint step (students could not
    be graded on it).
    """
    teacher_id = require_profile(principal, TEACHER_PROFILE)
    with db.transaction():
        guide = owned_guide(db, principal, guide_id, lock="update")
        _move(guide, GuideStatus.PUBLISHED, f"Guide in status {guide['status']} cannot be published"
                                            " (only a guide in REVIEW can)")
        questions = guide_store.questions_for_publish(db, guide_id)
        pending = [q for q in questions if q["status"] not in ("APPROVED", "EXCLUDED")]
        if pending:
            raise errors.InvalidInput(f"All questions must be APPROVED or EXCLUDED before publishing "
                                      f"({len(pending)} pending)")
        approved = [q for q in questions if q["status"] == "APPROVED"]
        if not approved:
            raise errors.InvalidInput("A guide needs at least one APPROVED question to publish")
        unsolved = [q for q in approved if not is_publishable(q["current_steps_json"])]
        if unsolved:
            raise errors.InvalidInput(
                f"Every APPROVED question needs a current solution with at least one checkpoint step "
                f"before publishing ({len(unsolved)} without: sequence "
                f"{', '.join(str(q['sequence']) for q in unsolved)})")
        assignment_id = str(uuid.uuid4())
        published = guide_store.publish(db, guide_id=guide_id, assignment_id=assignment_id,
                                        course_id=guide["course_id"], teacher_id=teacher_id, title=guide["title"],
                                        due_at=guide["due_at"])
        if published is None:  # pragma: no cover - the row is locked; kept as a guard for the CAS
            raise errors.Conflict("Guide changed concurrently, retry")
    return {
        "guide": published,
        "assignment_id": assignment_id,
        "materialized_exercises": int(published["materialized_exercises"]),
        "approved_without_topic": sum(1 for q in approved if not q["topic_id"]),
        "students_assigned": int(published["students_assigned"]),
    }


def archive(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """``→ ARCHIVED`` from any non-terminal state (the guide's assignment is left as it is)."""
    with db.transaction():
        guide = owned_guide(db, principal, guide_id, lock="update")
        target = _move(guide, GuideStatus.ARCHIVED, "Guide is already archived"
                       if guide["status"] == GuideStatus.ARCHIVED.value else None)
        archived = guide_store.change_status(db, guide_id, expected=guide["status"], new_status=target.value)
        if archived is None:  # pragma: no cover - the row is locked; kept as a guard for the CAS
            raise errors.Conflict("Guide changed concurrently, retry")
        return archived
