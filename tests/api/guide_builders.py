"""Test data for the guides pipeline: guides in any state, questions and solutions as the AI engine
writes them, uploads through presigned URLs, and the taxonomy rows a classification needs.

    guide = build_guide(db, school, status="REVIEW", questions=[approved(), approved(topic=None)])

Rows are inserted with plain SQL (the pipeline that writes them in production is the external AI
engine); everything a route writes is written by the route under test.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from chalicelib.store.database import Database
from tests.factories import School

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


def canonical_solution(final_answer: str = "42", *, checkpoint: bool = True, **extra: Any) -> dict[str, Any]:
    """A valid canonical solution document (one checkpoint step unless told otherwise)."""
    return {"final_answer": final_answer, "points": 1,
            "steps": [{"idx": 0, "latex": "40 + 2", "checkpoint": False},
                      {"idx": 1, "latex": final_answer, "checkpoint": checkpoint}], **extra}


@dataclass
class QuestionSpec:
    status: str = "APPROVED"
    topic: str | None = "first"  # "first" = the school's first topic; None = unclassified
    solution: dict[str, Any] | None = field(default_factory=canonical_solution)
    label: str | None = None
    figure_keys: list[str] = field(default_factory=list)


def approved(**kwargs: Any) -> QuestionSpec:
    return QuestionSpec(status="APPROVED", **kwargs)


def question(status: str, **kwargs: Any) -> QuestionSpec:
    return QuestionSpec(status=status, **kwargs)


@dataclass
class BuiltGuide:
    id: str
    course_id: str
    source_pdf_key: str
    trace_id: str
    question_ids: list[str]


def build_guide(db: Database, school: School, *, status: str = "REVIEW", questions: list[QuestionSpec] | None = None,
                key: str | None = None, max_resubmissions: int = 2, show_solution_after_grade: bool = False,
                due_at: str | None = None) -> BuiltGuide:
    """A guide of ``school``'s course created by its teacher, with questions and current solutions."""
    guide_id = f"guide-{key or uuid.uuid4().hex[:8]}"
    pdf_key = f"guides/uploads/{uuid.uuid4()}.pdf"
    trace_id = str(uuid.uuid4())
    db.execute(
        "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key, trace_id,"
        " max_resubmissions, show_solution_after_grade, due_at, published_at, question_count, updated_at)"
        " VALUES (:id, :course, :teacher, :title, CAST(:status AS \"GuideStatus\"), :pdf, :trace, :maxr, :show,"
        " CAST(:due AS timestamptz), CASE WHEN :status = 'PUBLISHED' THEN now() END, :count, now())",
        {"id": guide_id, "course": school.course_id, "teacher": school.teacher.profile_id, "title": f"Guía {guide_id}",
         "status": status, "pdf": pdf_key, "trace": trace_id, "maxr": max_resubmissions,
         "show": show_solution_after_grade, "due": due_at, "count": len(questions or [])})
    ids = []
    for sequence, spec in enumerate(questions or []):
        qid = f"{guide_id}-q{sequence}"
        topic_id = school.topic_ids[0] if spec.topic == "first" else spec.topic
        db.execute(
            "INSERT INTO guide_questions (id, guide_id, sequence, label, statement_latex, figure_keys, status,"
            " topic_id, topic_source, topic_confidence, updated_at)"
            " VALUES (:id, :guide, :seq, :label, :stmt, CAST(:figs AS text[]),"
            " CAST(:status AS \"GuideQuestionStatus\"), :topic, 'LLM', 0.9, now())",
            {"id": qid, "guide": guide_id, "seq": sequence, "label": spec.label or f"{sequence + 1}.",
             "stmt": f"{sequence} + 40 = ?", "figs": spec.figure_keys, "status": spec.status, "topic": topic_id})
        if spec.solution is not None:
            db.execute(
                "INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source, final_answer,"
                " steps_json, generated_by_model) VALUES (:id, :q, 1, true, 'LLM_GENERATED', :fa, :steps, 'claude')",
                {"id": f"{qid}-s1", "q": qid, "fa": spec.solution.get("final_answer", "?"),
                 "steps": spec.solution})
        ids.append(qid)
    return BuiltGuide(guide_id, school.course_id, pdf_key, trace_id, ids)


def guide_status(db: Database, guide_id: str) -> str:
    return db.fetch_value("SELECT status::text FROM guides WHERE id = :id", {"id": guide_id})


def snapshot(db: Database, table: str, row_id: str) -> dict[str, Any]:
    """The whole row (to assert that a refused request changed nothing)."""
    assert table in ("guides", "guide_questions", "guide_submissions")
    return db.fetch_one(f"SELECT * FROM {table} WHERE id = :id", {"id": row_id})


def add_error_tag(db: Database, code: str, name: str = "", hint: str | None = None) -> str:
    return db.fetch_value(
        "INSERT INTO error_tags (id, code, name, description, diagnostic_hint, updated_at)"
        " VALUES (:id, :code, :name, 'test tag', :hint, now()) RETURNING id",
        {"id": f"tag-{code}", "code": code, "name": name, "hint": hint})


def add_graded_submission(db: Database, guide: BuiltGuide, question_index: int, student_id: str, *,
                          attempt_number: int = 1, status: str = "GRADED", is_correct: bool | None = False,
                          score: float | None = 0.5, tag_id: str | None = None, override_tag_id: str | None = None,
                          created_at: str | None = None) -> str:
    """A submission as the grader and the reprocess worker leave it, with its attempt."""
    sid = f"sub-{uuid.uuid4().hex[:10]}"
    attempt_id = None
    if status == "GRADED":
        attempt_id = db.fetch_value(
            "INSERT INTO attempts (id, student_id, course_id, input_mode, status, is_correct, error_tag_id)"
            " VALUES (:id, :s, :c, 'PHOTO_GUIDE', 'CLASSIFIED', :ok, :tag) RETURNING id",
            {"id": f"att-{sid}", "s": student_id, "c": guide.course_id, "ok": bool(is_correct), "tag": tag_id})
    db.execute(
        "INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, attempt_number, status,"
        " photo_keys, score, is_correct, attempt_id, override_error_tag_id, trace_id, graded_at, created_at,"
        " updated_at)"
        " VALUES (:id, :g, :q, :s, :n, CAST(:status AS \"SubmissionStatus\"), CAST(:keys AS text[]), :score, :ok,"
        " :att, :ovr, :trace, CASE WHEN :status = 'GRADED' THEN now() END,"
        " COALESCE(CAST(:created AS timestamptz), now()), now())",
        {"id": sid, "g": guide.id, "q": guide.question_ids[question_index], "s": student_id, "n": attempt_number,
         "status": status, "keys": [f"submissions/{sid}/photo.jpg"], "score": score, "ok": is_correct,
         "att": attempt_id, "ovr": override_tag_id, "trace": str(uuid.uuid4()), "created": created_at})
    return sid


def http_put(url: str, body: bytes, content_type: str) -> int:
    """A browser-style PUT through a presigned URL (explicit Content-Type: moto stores b'' otherwise)."""
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request) as reply:  # noqa: S310 - local moto endpoint
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url) as reply:  # noqa: S310 - local moto endpoint
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def body_of(message: dict[str, Any]) -> dict[str, Any]:
    return json.loads(message["Body"])


def trace_attribute(message: dict[str, Any]) -> str:
    return message["MessageAttributes"]["trace_id"]["StringValue"]
