"""The teacher's view of student work on a guide (api.md §4.8, domain.md §5.4): the student ×
question results matrix, one submission in detail, and the teacher's error-tag override.

The effective tag of a submission is the teacher override when set, else the linked attempt's tag.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.domain.identity import Principal
from chalicelib.services.access import require_profile
from chalicelib.services.guide_files import GuideFiles
from chalicelib.services.guide_service import TEACHER_PROFILE, owned_guide
from chalicelib.store import guide_submissions as submission_store
from chalicelib.store.database import Database

if TYPE_CHECKING:
    from chalicelib.api.schemas.guides import ErrorTagOverride

COMMON_ERRORS_PER_QUESTION = 5


def common_errors(question_ids: list[str], cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question: the 5 most frequent effective tags among cells that are not correct and carry
    a tag (count descending, then code, so equal counts keep a stable order)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    for cell in cells:
        if cell["is_correct"] is True or not cell["error_tag_code"]:
            continue
        counts[cell["question_id"]][cell["error_tag_code"]] += 1
        names[cell["error_tag_code"]] = cell["error_tag_name"] or ""
    result = []
    for question_id in question_ids:
        ranked = sorted(counts[question_id].items(), key=lambda item: (-item[1], item[0]))
        result.append({"question_id": question_id, "tags": [
            {"code": code, "name": names[code], "count": count}
            for code, count in ranked[:COMMON_ERRORS_PER_QUESTION]]})
    return result


def results(db: Database, principal: Principal, guide_id: str) -> dict[str, Any]:
    """The matrix: enrolled students, approved questions, the latest submission per cell."""
    guide = owned_guide(db, principal, guide_id)
    questions = submission_store.approved_questions(db, guide_id)
    cells = submission_store.latest_cells(db, guide_id)
    return {
        "guide_id": guide_id,
        "due_at": guide["due_at"],
        "students": submission_store.enrolled_students(db, guide["course_id"]),
        "questions": questions,
        "cells": cells,
        "common_errors": common_errors([q["id"] for q in questions], cells),
    }


def submission_detail(db: Database, files: GuideFiles, principal: Principal, guide_id: str,
                      submission_id: str) -> dict[str, Any]:
    """One submission of the guide with short-lived URLs of its photos."""
    owned_guide(db, principal, guide_id)
    row = submission_store.submission_detail(db, guide_id, submission_id)
    if row is None:
        raise errors.NotFound("Submission not found")
    return {**row, "submission_id": row["id"],
            "photo_urls": [files.photo_download_url(key) for key in row["photo_keys"] or ()]}


def set_error_tag_override(db: Database, principal: Principal, guide_id: str, submission_id: str,
                           request: "ErrorTagOverride") -> dict[str, Any]:
    """Set the override to a catalogue tag (any status), or clear it with ``null``/absent.
    The linked attempt is not changed; every view shows the override instead of its tag."""
    teacher_id = require_profile(principal, TEACHER_PROFILE)
    owned_guide(db, principal, guide_id)
    tag = None
    if request.error_tag_code is not None:
        tag = submission_store.error_tag_by_code(db, request.error_tag_code)
        if tag is None:
            raise errors.NotFound(f"Error tag {request.error_tag_code} not found")
    found = submission_store.set_override(db, guide_id=guide_id, submission_id=submission_id,
                                          tag_id=tag["id"] if tag else None, teacher_id=teacher_id)
    if not found:
        raise errors.NotFound("Submission not found")
    return {"submission_id": submission_id, "error_tag_code": tag["code"] if tag else None,
            "error_tag_name": tag["name"] if tag else None, "is_overridden": tag is not None}
