"""Teacher guide routes (api.md §4.8) against the real database, moto S3 and SQS.

Uploads go through the returned presigned URLs with real HTTP PUTs; queued jobs are read back from
moto and validated with the shared message models; refused requests leave the rows unchanged.
"""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import dependencies
from chalicelib.domain import guide_states
from chalicelib.domain.guide_uploads import MAX_PDF_BYTES
from chalicelib.messaging.messages import GuideIngest, SolutionGeneration
from tests.api.guide_builders import (PDF_BYTES, add_error_tag, add_graded_submission, approved, body_of,
                                      build_guide, canonical_solution, guide_status, http_get, http_put, question,
                                      snapshot, trace_attribute)
from tests.factories import add_person, build_school


@pytest.fixture
def school(db):
    return build_school(db, "a", students=3)


@pytest.fixture
def other_school(db):
    return build_school(db, "b")


@pytest.fixture
def teacher(tokens, school):
    return tokens.headers(**school.teacher.claims)


def _json(response):
    return response.json_body


def _post(api, path, headers, body=None):
    return api.post(path, headers=headers, body=json.dumps(body) if body is not None else None)


def _patch(api, path, headers, body):
    return api.patch(path, headers=headers, body=json.dumps(body))


def _count(db, sql, **params):
    return db.fetch_value(sql, params)


def _create(api, headers, course_id, **extra):
    return _post(api, "/guides", headers, {"courseId": course_id, "title": "Restas con reserva", **extra})


# -- POST /guides ------------------------------------------------------------------------------

def test_create_guide_signs_a_pdf_upload_that_really_lands_in_the_bucket(api, aws, db, school, teacher,
                                                                         monkeypatch):
    monkeypatch.setenv("GUIDES_PRESIGNED_PUT_TTL", "321")
    dependencies.reset()
    reply = _create(api, {**teacher, "x-trace-id": "trace-of-creation"}, school.course_id,
                    description="Unidad 2", dueAt="2026-06-01", fileName="guia.pdf", contentType="application/pdf")
    assert reply.status_code == 201 and _json(reply)["statusCode"] == 201
    data = _json(reply)["data"]
    assert set(data) == {"guideId", "presignedPutUrl", "sourcePdfKey"}
    assert re.fullmatch(r"guides/uploads/[0-9a-f-]{36}\.pdf", data["sourcePdfKey"])
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(data["presignedPutUrl"]).query)
    assert query["X-Amz-Expires"] == ["321"] and "content-type" in query["X-Amz-SignedHeaders"][0]
    assert not any("checksum" in name.lower() for name in query)

    row = snapshot(db, "guides", data["guideId"])
    assert (row["status"], row["course_id"], row["created_by_teacher_id"]) == (
        "UPLOADED", school.course_id, school.teacher.profile_id)
    assert row["source_pdf_key"] == data["sourcePdfKey"] and row["description"] == "Unidad 2"
    assert row["due_at"].isoformat() == "2026-06-01T00:00:00+00:00"
    assert row["trace_id"] == "trace-of-creation"

    assert http_put(data["presignedPutUrl"], PDF_BYTES, "application/pdf") == 200
    stored = aws.client("s3").get_object(Bucket=aws.bucket_names["guides"], Key=data["sourcePdfKey"])
    assert stored["Body"].read() == PDF_BYTES and stored["ContentType"] == "application/pdf"


def test_create_guide_refuses_bad_input_and_writes_nothing(api, db, school, teacher):
    cases = [
        ({"title": "x"}, "courseId"),
        ({"courseId": "a-course"}, "title"),
        ({"courseId": "a-course", "title": ""}, "title"),
        ({"courseId": "a-course", "title": "   "}, "title"),
        ({"courseId": "a-course", "title": "x", "dueAt": "next week"}, "dueAt"),
        ({"courseId": "a-course", "title": "x", "dueAt": 1700000000}, "dueAt"),
        ({"courseId": "a-course", "title": "x", "contentType": "image/png"}, "contentType"),
        ({"courseId": "a-course", "title": "x", "status": "PUBLISHED"}, "status"),
        ({"courseId": "a-course", "title": 5}, "title"),
    ]
    for body, field in cases:
        reply = _post(api, "/guides", teacher, body)
        assert reply.status_code == 400, (body, reply.json_body)
        assert field in {d["field"] for d in _json(reply)["details"]}, body
    assert _count(db, "SELECT count(*) FROM guides") == 0


def test_create_guide_for_a_course_the_teacher_does_not_teach_is_404(api, aws, db, school, other_school, teacher):
    reply = _create(api, teacher, other_school.course_id)
    assert reply.status_code == 404 and _json(reply)["message"] == "You do not teach this course"
    assert _create(api, teacher, "no-such-course").status_code == 404
    assert _count(db, "SELECT count(*) FROM guides") == 0


def test_create_guide_without_a_guides_bucket_is_503_and_leaves_no_orphan(api, aws, db, school, teacher,
                                                                          monkeypatch):
    monkeypatch.delenv("S3_GUIDES_BUCKET")
    dependencies.reset()
    reply = _create(api, teacher, school.course_id)
    assert reply.status_code == 503 and "S3_GUIDES_BUCKET not configured" in _json(reply)["message"]
    assert _count(db, "SELECT count(*) FROM guides") == 0


# -- POST /guides/:id/ingest -------------------------------------------------------------------

def _uploaded_guide(api, aws, teacher, school, content=PDF_BYTES, content_type="application/pdf"):
    data = _json(_create(api, teacher, school.course_id))["data"]
    if content is not None:
        assert http_put(data["presignedPutUrl"], content, content_type) == 200
    return data["guideId"]


def test_ingest_moves_to_extracting_and_enqueues_one_guide_ingest_job(api, aws, db, school, teacher):
    guide_id = _uploaded_guide(api, aws, teacher, school)
    db.execute("UPDATE guides SET failure_reason = 'old' WHERE id = :id", {"id": guide_id})
    reply = _post(api, f"/guides/{guide_id}/ingest", {**teacher, "x-trace-id": "trace-of-ingest"})
    assert reply.status_code == 202 and _json(reply)["data"] == {"status": "EXTRACTING"}
    row = snapshot(db, "guides", guide_id)
    assert row["status"] == "EXTRACTING" and row["failure_reason"] is None

    [message] = aws.receive_all("guide_ingest")
    job = GuideIngest.model_validate(body_of(message))
    assert job == GuideIngest(guide_id=guide_id, source_pdf_key=row["source_pdf_key"], course_grade_level=4,
                              trace_id=row["trace_id"])
    assert trace_attribute(message) == "trace-of-ingest"

    again = _post(api, f"/guides/{guide_id}/ingest", teacher)
    assert again.status_code == 202 and _json(again)["data"] == {"status": "EXTRACTING"}
    assert aws.receive_all("guide_ingest") == []


def test_ingest_retries_after_a_failure(api, aws, db, school, teacher):
    for status in ("EXTRACTION_FAILED", "GENERATION_FAILED"):
        guide_id = _uploaded_guide(api, aws, teacher, school)
        db.execute("UPDATE guides SET status = CAST(:s AS \"GuideStatus\"), failure_reason = 'quality 0.3'"
                   " WHERE id = :id", {"id": guide_id, "s": status})
        assert _post(api, f"/guides/{guide_id}/ingest", teacher).status_code == 202
        assert guide_status(db, guide_id) == "EXTRACTING"
        assert snapshot(db, "guides", guide_id)["failure_reason"] is None
        assert [body_of(m)["guide_id"] for m in aws.receive_all("guide_ingest")] == [guide_id]


def test_ingest_refuses_a_missing_oversized_or_wrongly_typed_pdf(api, aws, db, school, teacher):
    cases = [
        (None, None, "has not been uploaded yet"),
        (b"x" * (MAX_PDF_BYTES + 1), "application/pdf", "the limit is 20971520 bytes"),
        (b"\x89PNG not a pdf", "image/png", "must be a PDF"),
        (b"", "application/pdf", "is empty"),
    ]
    for content, content_type, message in cases:
        guide_id = _uploaded_guide(api, aws, teacher, school, content=None)
        if content is not None:
            # What a client ignoring the signed Content-Type would leave (moto does not check signatures).
            aws.client("s3").put_object(Bucket=aws.bucket_names["guides"], Key=snapshot(db, "guides", guide_id)[
                "source_pdf_key"], Body=content, ContentType=content_type)
        before = snapshot(db, "guides", guide_id)
        reply = _post(api, f"/guides/{guide_id}/ingest", teacher)
        assert reply.status_code == 400 and message in _json(reply)["message"], message
        assert snapshot(db, "guides", guide_id) == before
    assert aws.receive_all("guide_ingest") == []


def test_ingest_from_a_state_that_cannot_be_ingested_is_409(api, aws, db, school, teacher):
    for status in ("REVIEW", "PUBLISHED", "ARCHIVED"):
        guide = build_guide(db, school, status=status, questions=[approved()])
        before = snapshot(db, "guides", guide.id)
        reply = _post(api, f"/guides/{guide.id}/ingest", teacher)
        assert reply.status_code == 409 and _json(reply)["code"] == "Conflict"
        assert _json(reply)["message"] == f"Guide in status {status} cannot be ingested"
        assert snapshot(db, "guides", guide.id) == before
    assert aws.receive_all("guide_ingest") == []


def test_ingest_rolls_back_when_the_queue_refuses_the_job(api, aws, db, school, teacher, monkeypatch):
    guide_id = _uploaded_guide(api, aws, teacher, school)
    monkeypatch.setenv("SQS_GUIDE_INGEST_URL", aws.queue_urls["guide_ingest"] + "-does-not-exist")
    dependencies.reset()
    reply = _post(api, f"/guides/{guide_id}/ingest", teacher)
    assert reply.status_code == 503 and "retry" in _json(reply)["message"]
    assert guide_status(db, guide_id) == "UPLOADED"  # so a retry can enqueue it

    monkeypatch.delenv("SQS_GUIDE_INGEST_URL")  # no queue at all: refused the same way, never stuck
    dependencies.reset()
    reply = _post(api, f"/guides/{guide_id}/ingest", teacher)
    assert reply.status_code == 503 and _json(reply)["message"].startswith("SQS_GUIDE_INGEST_URL not configured")
    assert guide_status(db, guide_id) == "UPLOADED"


# -- GET /guides, GET /guides/:id, source URL ---------------------------------------------------

def test_list_guides_pages_filters_and_counts(api, db, school, other_school, teacher):
    ids = [build_guide(db, school, status="REVIEW", key=f"r{i}", questions=[approved(), approved()]).id
           for i in range(3)]
    db.execute("UPDATE guides SET created_at = now() - make_interval(mins => CAST(right(id, 1) AS int))"
               " WHERE id LIKE 'guide-r%'")
    build_guide(db, school, status="ARCHIVED", key="gone")
    db.execute("UPDATE guides SET archived_at = now() WHERE id = 'guide-gone'")
    build_guide(db, other_school, status="REVIEW", key="foreign")
    published = build_guide(db, school, status="PUBLISHED", key="pub", questions=[approved()])
    add_graded_submission(db, published, 0, school.students[0].profile_id)

    page = _json(api.get("/guides?pageSize=2", headers=teacher))["data"]
    assert (page["total"], page["page"], page["pageSize"]) == (4, 1, 2)
    second = _json(api.get("/guides?pageSize=2&page=2", headers=teacher))["data"]
    listed = [g["id"] for g in page["items"] + second["items"]]
    assert sorted(listed) == sorted(ids + [published.id]) and len(set(listed)) == 4
    assert listed.index("guide-r0") < listed.index("guide-r1") < listed.index("guide-r2")  # newest first
    by_id = {g["id"]: g for g in page["items"] + second["items"]}
    assert by_id["guide-pub"]["_count"] == {"questions": 1, "submissions": 1}
    assert by_id["guide-r0"]["_count"] == {"questions": 2, "submissions": 0}

    only_published = _json(api.get(f"/guides?status=PUBLISHED&courseId={school.course_id}", headers=teacher))
    assert [g["id"] for g in only_published["data"]["items"]] == ["guide-pub"]
    assert _json(api.get("/guides?status=ARCHIVED", headers=teacher))["data"]["items"] == []
    assert _json(api.get("/guides?page=9", headers=teacher))["data"] == {
        "items": [], "total": 4, "page": 9, "pageSize": 20}
    assert _json(api.get("/guides?pageSize=1000", headers=teacher))["data"]["pageSize"] == 100  # clamped

    assert api.get("/guides?status=DONE", headers=teacher).status_code == 400
    assert api.get("/guides?page=0", headers=teacher).status_code == 400
    assert api.get("/guides?page=abc", headers=teacher).status_code == 400
    assert api.get(f"/guides?courseId={other_school.course_id}", headers=teacher).status_code == 404


def test_get_guide_shows_questions_with_classification_and_the_current_solution(api, db, school, teacher):
    domain = db.fetch_value("INSERT INTO domains (id, code, name) VALUES ('d-arith', 'ARITH', 'Aritmética')"
                            " RETURNING id")
    sub = db.fetch_value("INSERT INTO subdomains (id, domain_id, code, name) VALUES ('sd-sub', :d, 'SUB', 'Resta')"
                         " RETURNING id", {"d": domain})
    guide = build_guide(db, school, questions=[question("NEEDS_REVIEW", topic=None, solution=None),
                                               approved(figure_keys=["guides/g/figures/1.png"])])
    db.execute("UPDATE guide_questions SET domain_id = :d, subdomain_id = :s WHERE id = :q",
               {"d": domain, "s": sub, "q": guide.question_ids[1]})
    db.execute("UPDATE guide_solutions SET is_current = false WHERE guide_question_id = :q",
               {"q": guide.question_ids[1]})
    db.execute("INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source, final_answer,"
               " steps_json) VALUES ('s2', :q, 2, true, 'TEACHER_EDITED', '43', :steps)",
               {"q": guide.question_ids[1], "steps": canonical_solution("43")})

    data = _json(api.get(f"/guides/{guide.id}", headers=teacher))["data"]
    assert data["id"] == guide.id and data["status"] == "REVIEW" and data["traceId"] == guide.trace_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["createdAt"])
    first, second = data["questions"]
    assert (first["sequence"], first["status"], first["topic"], first["solutions"]) == (0, "NEEDS_REVIEW", None, [])
    assert first["domain"] is None and first["subdomain"] is None
    assert second["topic"] == {"id": school.topic_ids[0], "code": "T-A-0", "name": "Tema 0"}
    assert second["domain"] == {"id": "d-arith", "code": "ARITH", "name": "Aritmética"}
    assert second["subdomain"] == {"id": "sd-sub", "code": "SUB", "name": "Resta"}
    assert second["figureKeys"] == ["guides/g/figures/1.png"]
    [current] = second["solutions"]
    assert (current["version"], current["finalAnswer"], current["isCurrent"]) == (2, "43", True)
    assert current["stepsJson"] == canonical_solution("43")
    assert re.fullmatch(r".*\.\d{3}Z", current["createdAt"])


def test_source_url_downloads_the_uploaded_pdf(api, aws, db, school, teacher):
    guide_id = _uploaded_guide(api, aws, teacher, school)
    url = _json(api.get(f"/guides/{guide_id}/source-url", headers=teacher))["data"]["url"]
    assert "X-Amz-Expires=300" in url
    assert http_get(url) == (200, PDF_BYTES)


# -- PATCH /guides/:id -------------------------------------------------------------------------

def test_patch_guide_changes_given_fields_and_null_clears_due_date_and_description(api, db, school, teacher):
    guide = build_guide(db, school, due_at="2026-06-01T12:00:00Z")
    db.execute("UPDATE guides SET description = 'old' WHERE id = :id", {"id": guide.id})
    reply = _patch(api, f"/guides/{guide.id}", teacher, {"title": "Nuevo", "maxResubmissions": 0,
                                                         "showSolutionAfterGrade": True})
    assert reply.status_code == 200
    data = _json(reply)["data"]
    assert (data["title"], data["maxResubmissions"], data["showSolutionAfterGrade"]) == ("Nuevo", 0, True)
    assert data["description"] == "old" and data["dueAt"] == "2026-06-01T12:00:00.000Z"

    cleared = _json(_patch(api, f"/guides/{guide.id}", teacher, {"dueAt": None, "description": None}))["data"]
    assert cleared["dueAt"] is None and cleared["description"] is None and cleared["title"] == "Nuevo"


def test_patch_guide_refuses_bad_values_and_changes_nothing(api, db, school, teacher):
    guide = build_guide(db, school)
    before = snapshot(db, "guides", guide.id)
    for body in ({"title": None}, {"maxResubmissions": None}, {"showSolutionAfterGrade": None},
                 {"maxResubmissions": -1}, {"maxResubmissions": "2"}, {"title": ""}, {"dueAt": "soon"},
                 {"status": "PUBLISHED"}):
        reply = _patch(api, f"/guides/{guide.id}", teacher, body)
        assert reply.status_code == 400, body
        assert next(iter(body)) in {d["field"] for d in _json(reply)["details"]}, body
    assert snapshot(db, "guides", guide.id) == before


def test_a_published_guides_assignment_follows_its_title_and_due_date(api, db, school, teacher):
    guide = build_guide(db, school, questions=[approved()])
    _post(api, f"/guides/{guide.id}/publish", teacher)
    reply = _patch(api, f"/guides/{guide.id}", teacher, {"title": "Renombrada", "dueAt": "2026-07-01T10:00:00-04:00"})
    assert reply.status_code == 200 and _json(reply)["data"]["status"] == "PUBLISHED"
    assignment = db.fetch_one("SELECT a.title, a.due_at FROM assignments a JOIN guides g ON g.assignment_id = a.id"
                              " WHERE g.id = :id", {"id": guide.id})
    assert assignment["title"] == "Renombrada" and assignment["due_at"].isoformat() == "2026-07-01T14:00:00+00:00"


# -- PATCH /guides/:id/questions/:qid ----------------------------------------------------------

def test_patch_question_edits_and_approves(api, db, school, teacher):
    guide = build_guide(db, school, questions=[question("NEEDS_REVIEW")])
    qid = guide.question_ids[0]
    reply = _patch(api, f"/guides/{guide.id}/questions/{qid}", teacher,
                   {"statementLatex": "12 - 5 = ?", "label": "1.a", "points": 2, "status": "APPROVED"})
    assert reply.status_code == 200
    data = _json(reply)["data"]
    assert (data["statementLatex"], data["label"], data["points"], data["status"]) == ("12 - 5 = ?", "1.a", 2.0,
                                                                                       "APPROVED")
    assert data["topicSource"] == "LLM"  # classification untouched
    assert _json(_patch(api, f"/guides/{guide.id}/questions/{qid}", teacher, {"label": None}))["data"]["label"] is None


def test_confirming_a_topic_classifies_the_question_as_the_teachers(api, db, school, teacher):
    db.execute("INSERT INTO domains (id, code, name) VALUES ('d1', 'ARITH', 'Aritmética')")
    db.execute("INSERT INTO subdomains (id, domain_id, code, name) VALUES ('sd1', 'd1', 'SUB', 'Resta')")
    db.execute("UPDATE topics SET domain_id = 'd1', subdomain_id = 'sd1' WHERE id = :t", {"t": school.topic_ids[1]})
    guide = build_guide(db, school, questions=[question("NEEDS_REVIEW", topic=None)])
    qid = guide.question_ids[0]
    data = _json(_patch(api, f"/guides/{guide.id}/questions/{qid}", teacher, {"topicId": school.topic_ids[1]}))["data"]
    assert (data["topicId"], data["domainId"], data["subdomainId"]) == (school.topic_ids[1], "d1", "sd1")
    assert (data["topicSource"], data["topicConfidence"]) == ("TEACHER", 1.0)


def test_confirming_a_subdomain_also_sets_its_taxonomy_topic(api, db, school, teacher):
    db.execute("INSERT INTO domains (id, code, name) VALUES ('d1', 'ARITH', 'Aritmética')")
    db.execute("INSERT INTO subdomains (id, domain_id, code, name) VALUES ('sd1', 'd1', 'SUB', 'Resta'),"
               " ('sd2', 'd1', 'MUL', 'Multiplicación')")
    db.execute("INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)"
               " VALUES ('u-arith', 'curriculum-math', 4, 2, 'ARITH', 'Aritmética')")
    db.execute("INSERT INTO topics (id, unit_id, subdomain_id, domain_id, code, name)"
               " VALUES ('t-sub', 'u-arith', 'sd1', 'd1', 'SUB', 'Resta')")
    guide = build_guide(db, school, questions=[question("NEEDS_REVIEW", topic=None), question("NEEDS_REVIEW")])
    first, second = guide.question_ids
    data = _json(_patch(api, f"/guides/{guide.id}/questions/{first}", teacher,
                        {"subdomainId": "sd1", "topicId": school.topic_ids[1]}))["data"]
    assert (data["subdomainId"], data["domainId"], data["topicId"]) == ("sd1", "d1", "t-sub")  # subdomain wins
    assert (data["topicSource"], data["topicConfidence"]) == ("TEACHER", 1.0)
    # A subdomain without a taxonomy topic leaves the topic as it was (api.md).
    data = _json(_patch(api, f"/guides/{guide.id}/questions/{second}", teacher, {"subdomainId": "sd2"}))["data"]
    assert (data["subdomainId"], data["topicId"]) == ("sd2", school.topic_ids[0])


def test_patch_question_refusals_change_nothing(api, db, school, teacher):
    guide = build_guide(db, school, questions=[question("NEEDS_REVIEW")])
    qid = guide.question_ids[0]
    before = snapshot(db, "guide_questions", qid)
    cases = [
        ({"topicId": "no-such-topic"}, 404, "Topic not found"),
        ({"subdomainId": "no-such-subdomain"}, 404, "Subdomain not found"),
        ({"status": "NEEDS_REVIEW"}, 400, None),
        ({"status": "EXTRACTED"}, 400, None),
        ({"points": -1}, 400, None),
        ({"statementLatex": None}, 400, None),
        ({"statementLatex": ""}, 400, None),
        ({"sequence": 3}, 400, None),
    ]
    for body, status, message in cases:
        reply = _patch(api, f"/guides/{guide.id}/questions/{qid}", teacher, body)
        assert reply.status_code == status, body
        if message:
            assert _json(reply)["message"] == message
    assert snapshot(db, "guide_questions", qid) == before


def test_a_question_of_another_guide_is_404(api, db, school, teacher):
    guide = build_guide(db, school, questions=[approved()])
    other = build_guide(db, school, questions=[approved()])
    reply = _patch(api, f"/guides/{guide.id}/questions/{other.question_ids[0]}", teacher, {"label": "x"})
    assert reply.status_code == 404 and _json(reply)["message"] == "Question not found in guide"


# -- PATCH /guides/:id/questions/:qid/solution -------------------------------------------------

def test_a_teacher_solution_becomes_the_current_version(api, db, school, teacher):
    guide = build_guide(db, school, questions=[approved()])
    qid = guide.question_ids[0]
    steps = {**canonical_solution("7"), "unknown": "dropped"}
    steps["steps"][0]["colour"] = "dropped too"
    reply = _patch(api, f"/guides/{guide.id}/questions/{qid}/solution", teacher,
                   {"finalAnswer": "7", "stepsJson": steps, "solutionLatex": "12-5=7", "expectedErrorTags": ["E1"]})
    assert reply.status_code == 200, reply.json_body
    data = _json(reply)["data"]
    assert (data["version"], data["isCurrent"], data["source"], data["createdByTeacherId"]) == (
        2, True, "TEACHER_EDITED", school.teacher.profile_id)
    assert data["stepsJson"] == canonical_solution("7") and data["expectedErrorTags"] == ["E1"]
    versions = db.fetch_all("SELECT version, is_current FROM guide_solutions WHERE guide_question_id = :q"
                            " ORDER BY version", {"q": qid})
    assert versions == [{"version": 1, "is_current": False}, {"version": 2, "is_current": True}]
    third = _json(_patch(api, f"/guides/{guide.id}/questions/{qid}/solution", teacher,
                         {"finalAnswer": "7", "stepsJson": canonical_solution("7")}))["data"]
    assert third["version"] == 3 and third["expectedErrorTags"] == []


def test_an_invalid_solution_is_400_and_changes_nothing(api, db, school, teacher):
    guide = build_guide(db, school, questions=[approved()])
    qid = guide.question_ids[0]
    path = f"/guides/{guide.id}/questions/{qid}/solution"
    cases = [
        (canonical_solution(checkpoint=False), "Solution must contain at least one checkpoint step"),
        ({"final_answer": "7", "points": 1, "steps": []}, "Invalid canonical solution: steps"),
        ({**canonical_solution(), "points": -2}, "Invalid canonical solution: points"),
    ]
    for steps, message in cases:
        reply = _patch(api, path, teacher, {"finalAnswer": "7", "stepsJson": steps})
        assert reply.status_code == 400 and _json(reply)["message"].startswith(message)
    assert _patch(api, path, teacher, {"stepsJson": canonical_solution()}).status_code == 400
    assert _patch(api, path, teacher, {"finalAnswer": "7", "stepsJson": "steps"}).status_code == 400
    assert _count(db, "SELECT count(*) FROM guide_solutions WHERE guide_question_id = :q", q=qid) == 1


def test_questions_and_solutions_of_a_published_or_archived_guide_are_frozen(api, aws, db, school, teacher):
    for status in ("PUBLISHED", "ARCHIVED"):
        guide = build_guide(db, school, status=status, questions=[approved()])
        qid = guide.question_ids[0]
        before = (snapshot(db, "guides", guide.id), snapshot(db, "guide_questions", qid))
        edits = [
            _patch(api, f"/guides/{guide.id}/questions/{qid}", teacher, {"statementLatex": "changed"}),
            _patch(api, f"/guides/{guide.id}/questions/{qid}", teacher, {"status": "EXCLUDED"}),
            _patch(api, f"/guides/{guide.id}/questions/{qid}/solution", teacher,
                   {"finalAnswer": "1", "stepsJson": canonical_solution("1")}),
            _post(api, f"/guides/{guide.id}/questions/{qid}/regenerate-solution", teacher),
        ]
        for reply in edits:
            assert reply.status_code == 409
            assert f"Guide in status {status} cannot be edited" in _json(reply)["message"]
        assert (snapshot(db, "guides", guide.id), snapshot(db, "guide_questions", qid)) == before
        assert _count(db, "SELECT count(*) FROM guide_solutions WHERE guide_question_id = :q", q=qid) == 1
    assert aws.receive_all("solution_gen") == []


# -- POST /guides/:id/questions/:qid/regenerate-solution ---------------------------------------

def test_regenerate_solution_enqueues_one_job_for_that_question(api, aws, db, school, teacher):
    guide = build_guide(db, school, questions=[approved(), approved()])
    qid = guide.question_ids[1]
    reply = _post(api, f"/guides/{guide.id}/questions/{qid}/regenerate-solution", {**teacher, "x-trace-id": "t-re"})
    assert reply.status_code == 202 and _json(reply)["data"] == {"enqueued": True}
    [message] = aws.receive_all("solution_gen")
    assert SolutionGeneration.model_validate(body_of(message)) == SolutionGeneration(
        guide_id=guide.id, guide_question_id=qid, trace_id=guide.trace_id)
    assert trace_attribute(message) == "t-re"
    assert guide_status(db, guide.id) == "REVIEW"
    missing = _post(api, f"/guides/{guide.id}/questions/nope/regenerate-solution", teacher)
    assert missing.status_code == 404 and aws.receive_all("solution_gen") == []


def test_regenerate_solution_without_a_queue_says_nothing_was_enqueued(api, db, school, teacher, monkeypatch):
    monkeypatch.delenv("SQS_SOLUTION_GEN_URL", raising=False)
    dependencies.reset()
    guide = build_guide(db, school, questions=[approved()])
    reply = _post(api, f"/guides/{guide.id}/questions/{guide.question_ids[0]}/regenerate-solution", teacher)
    assert reply.status_code == 202 and _json(reply)["data"] == {"enqueued": False}


# -- POST /guides/:id/publish ------------------------------------------------------------------

def test_publish_creates_the_assignment_exercises_and_targets_in_one_go(api, db, school, teacher):
    db.execute("UPDATE enrollments SET status = 'INACTIVE' WHERE student_id = :s",
               {"s": school.students[2].profile_id})
    guide = build_guide(db, school, due_at="2026-06-01T12:00:00Z", questions=[
        approved(figure_keys=["guides/x/figures/a.png"]), question("EXCLUDED"), approved(topic=None),
        approved(solution=canonical_solution("9"))])
    reply = _post(api, f"/guides/{guide.id}/publish", teacher)
    assert reply.status_code == 201, reply.json_body
    data = _json(reply)["data"]
    assert (data["materializedExercises"], data["approvedWithoutTopic"], data["studentsAssigned"]) == (2, 1, 2)
    assert data["guide"]["status"] == "PUBLISHED" and data["guide"]["publishedAt"]
    assert data["guide"]["assignmentId"] == data["assignmentId"]

    assignment = db.fetch_one("SELECT * FROM assignments WHERE id = :id", {"id": data["assignmentId"]})
    assert (assignment["kind"], assignment["reason"], assignment["course_id"], assignment["title"]) == (
        "GUIDE", "TEACHER_MANUAL", school.course_id, f"Guía {guide.id}")
    assert assignment["due_at"].isoformat() == "2026-06-01T12:00:00+00:00"
    targets = db.fetch_all("SELECT student_id, status FROM assignment_targets WHERE assignment_id = :a"
                           " ORDER BY student_id", {"a": data["assignmentId"]})
    assert targets == [{"student_id": s.profile_id, "status": "PENDING"} for s in school.students[:2]]
    listed = db.fetch_all(
        "SELECT ae.sequence, e.topic_id, e.source, e.content, e.irt_a, e.irt_b, e.status, e.created_by_teacher_id,"
        " q.id AS question_id FROM assignment_exercises ae JOIN exercises e ON e.id = ae.exercise_id"
        " JOIN guide_questions q ON q.exercise_id = e.id WHERE ae.assignment_id = :a ORDER BY ae.sequence",
        {"a": data["assignmentId"]})
    assert [(r["sequence"], r["question_id"]) for r in listed] == [(0, guide.question_ids[0]),
                                                                   (1, guide.question_ids[3])]
    assert listed[0]["content"] == {"statement_latex": "0 + 40 = ?", "figures": ["guides/x/figures/a.png"],
                                    "final_answer": "42"}
    assert listed[1]["content"]["final_answer"] == "9"
    assert {(r["source"], r["irt_a"], r["irt_b"], r["status"], r["created_by_teacher_id"]) for r in listed} == {
        ("GUIDE_EXTRACTED", 1.0, 0.0, "ACTIVE", school.teacher.profile_id)}

    again = _post(api, f"/guides/{guide.id}/publish", teacher)
    assert again.status_code == 409 and _json(again)["message"].startswith("Guide in status PUBLISHED cannot be")
    assert _count(db, "SELECT count(*) FROM assignments") == 1


def test_publishing_an_unready_guide_is_400_and_writes_nothing(api, db, school, teacher):
    cases = [
        ([approved(), question("NEEDS_REVIEW"), question("EXTRACTED")],
         "All questions must be APPROVED or EXCLUDED before publishing (2 pending)"),
        ([question("EXCLUDED")], "A guide needs at least one APPROVED question to publish"),
        ([approved(), approved(solution=None)],
         "Every APPROVED question needs a current solution with at least one checkpoint step before publishing"
         " (1 without: sequence 1)"),
        ([approved(solution=canonical_solution(checkpoint=False))], "Every APPROVED question needs a current solution"),
    ]
    for questions, message in cases:
        guide = build_guide(db, school, questions=questions)
        before = snapshot(db, "guides", guide.id)
        reply = _post(api, f"/guides/{guide.id}/publish", teacher)
        assert reply.status_code == 400 and _json(reply)["message"].startswith(message), _json(reply)["message"]
        assert snapshot(db, "guides", guide.id) == before
    assert _count(db, "SELECT count(*) FROM assignments") == 0
    assert _count(db, "SELECT count(*) FROM exercises WHERE source = 'GUIDE_EXTRACTED'") == 0


def test_publishing_skips_no_review_gate(api, db, school, teacher):
    for status in ("UPLOADED", "EXTRACTING", "GENERATING_SOLUTIONS", "GENERATION_FAILED", "ARCHIVED"):
        guide = build_guide(db, school, status=status, questions=[approved()])
        before = snapshot(db, "guides", guide.id)
        reply = _post(api, f"/guides/{guide.id}/publish", teacher)
        assert reply.status_code == 409 and status in _json(reply)["message"]
        assert snapshot(db, "guides", guide.id) == before
    assert _count(db, "SELECT count(*) FROM assignments") == 0


# -- DELETE /guides/:id ------------------------------------------------------------------------

def test_archive_then_archive_again(api, db, school, teacher):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    reply = api.delete(f"/guides/{guide.id}", headers=teacher)
    assert reply.status_code == 200 and _json(reply)["data"]["status"] == "ARCHIVED"
    assert _json(reply)["data"]["archivedAt"] is not None
    before = snapshot(db, "guides", guide.id)
    again = api.delete(f"/guides/{guide.id}", headers=teacher)
    assert again.status_code == 409 and _json(again)["message"] == "Guide is already archived"
    assert snapshot(db, "guides", guide.id) == before


# -- results, submission detail, override ------------------------------------------------------

def test_results_matrix_uses_latest_submissions_effective_tags_and_due_date(api, db, school, teacher):
    tag_a, tag_b, tag_c = (add_error_tag(db, code, name) for code, name in
                           (("E_A", "Error A"), ("E_B", "Error B"), ("E_C", "")))
    guide = build_guide(db, school, status="PUBLISHED", due_at="2030-01-01T00:00:00Z",
                        questions=[approved(), approved(), question("EXCLUDED")])
    s0, s1, s2 = (s.profile_id for s in school.students)
    add_graded_submission(db, guide, 0, s0, attempt_number=1, tag_id=tag_c)
    latest = add_graded_submission(db, guide, 0, s0, attempt_number=2, tag_id=tag_a,
                                   created_at="2031-01-01T00:00:00Z")
    add_graded_submission(db, guide, 0, s1, tag_id=tag_a, override_tag_id=tag_b)
    add_graded_submission(db, guide, 0, s2, tag_id=tag_a)
    add_graded_submission(db, guide, 1, s0, is_correct=True, score=1.0, tag_id=tag_a)

    data = _json(api.get(f"/guides/{guide.id}/results", headers=teacher))["data"]
    assert data["guideId"] == guide.id and data["dueAt"] == "2030-01-01T00:00:00.000Z"
    assert [s["id"] for s in data["students"]] == [s0, s1, s2]
    assert [q["id"] for q in data["questions"]] == guide.question_ids[:2]
    cells = {(c["questionId"], c["studentId"]): c for c in data["cells"]}
    assert len(cells) == 4
    mine = cells[(guide.question_ids[0], s0)]
    assert (mine["submissionId"], mine["attemptNumber"], mine["errorTagCode"], mine["isLate"]) == (latest, 2, "E_A",
                                                                                                   True)
    overridden = cells[(guide.question_ids[0], s1)]
    assert (overridden["errorTagCode"], overridden["errorTagName"], overridden["isOverridden"]) == (
        "E_B", "Error B", True)
    assert cells[(guide.question_ids[0], s2)]["isLate"] is False
    assert data["commonErrors"] == [
        {"questionId": guide.question_ids[0], "tags": [{"code": "E_A", "name": "Error A", "count": 2},
                                                       {"code": "E_B", "name": "Error B", "count": 1}]},
        {"questionId": guide.question_ids[1], "tags": []}]  # the correct cell's tag does not count


def test_submission_detail_signs_photo_downloads(api, aws, db, school, teacher):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid = add_graded_submission(db, guide, 0, school.students[0].profile_id, tag_id=add_error_tag(db, "E1", "Uno"))
    key = f"submissions/{sid}/photo.jpg"
    aws.client("s3").put_object(Bucket=aws.bucket_names["submissions"], Key=key, Body=b"jpeg", ContentType="image/jpeg")
    data = _json(api.get(f"/guides/{guide.id}/submissions/{sid}", headers=teacher))["data"]
    assert (data["submissionId"], data["questionSequence"], data["statementLatex"]) == (sid, 0, "0 + 40 = ?")
    assert (data["status"], data["errorTagCode"], data["errorTagName"], data["isOverridden"]) == (
        "GRADED", "E1", "Uno", False)
    [url] = data["photoUrls"]
    assert "X-Amz-Expires=300" in url and http_get(url) == (200, b"jpeg")
    other = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    missing = api.get(f"/guides/{other.id}/submissions/{sid}", headers=teacher)
    assert missing.status_code == 404 and _json(missing)["message"] == "Submission not found"


def test_error_tag_override_sets_and_clears(api, db, school, teacher):
    own = add_error_tag(db, "E_OWN", "Propio")
    add_error_tag(db, "E_NEW", "Nuevo")
    db.execute("UPDATE error_tags SET status = 'DEPRECATED' WHERE code = 'E_NEW'")  # any status accepted
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid = add_graded_submission(db, guide, 0, school.students[0].profile_id, tag_id=own)
    path = f"/guides/{guide.id}/submissions/{sid}/error-tag"

    reply = _patch(api, path, teacher, {"errorTagCode": "E_NEW"})
    assert _json(reply)["data"] == {"submissionId": sid, "errorTagCode": "E_NEW", "errorTagName": "Nuevo",
                                    "isOverridden": True}
    row = snapshot(db, "guide_submissions", sid)
    assert (row["override_error_tag_id"], row["override_by_id"]) == ("tag-E_NEW", school.teacher.profile_id)
    assert row["override_at"] is not None
    assert db.fetch_value("SELECT error_tag_id FROM attempts WHERE id = :a", {"a": row["attempt_id"]}) == own

    for clearing in ({"errorTagCode": None}, {}):
        _patch(api, path, teacher, {"errorTagCode": "E_NEW"})
        reply = _patch(api, path, teacher, clearing)
        assert _json(reply)["data"] == {"submissionId": sid, "errorTagCode": None, "errorTagName": None,
                                        "isOverridden": False}
        row = snapshot(db, "guide_submissions", sid)
        assert (row["override_error_tag_id"], row["override_by_id"], row["override_at"]) == (None, None, None)

    before = snapshot(db, "guide_submissions", sid)
    unknown = _patch(api, path, teacher, {"errorTagCode": "NOPE"})
    assert unknown.status_code == 404 and _json(unknown)["message"] == "Error tag NOPE not found"
    assert _patch(api, f"/guides/{guide.id}/submissions/other/error-tag", teacher,
                  {"errorTagCode": "E_NEW"}).status_code == 404
    assert snapshot(db, "guide_submissions", sid) == before


# -- authorization -----------------------------------------------------------------------------

def _teacher_requests(guide_id, question_id, submission_id):
    solution = {"finalAnswer": "1", "stepsJson": canonical_solution("1")}
    return [
        ("GET", f"/guides/{guide_id}", None),
        ("PATCH", f"/guides/{guide_id}", {"title": "x"}),
        ("DELETE", f"/guides/{guide_id}", None),
        ("POST", f"/guides/{guide_id}/ingest", None),
        ("GET", f"/guides/{guide_id}/source-url", None),
        ("PATCH", f"/guides/{guide_id}/questions/{question_id}", {"label": "x"}),
        ("PATCH", f"/guides/{guide_id}/questions/{question_id}/solution", solution),
        ("POST", f"/guides/{guide_id}/questions/{question_id}/regenerate-solution", None),
        ("POST", f"/guides/{guide_id}/publish", None),
        ("GET", f"/guides/{guide_id}/results", None),
        ("GET", f"/guides/{guide_id}/submissions/{submission_id}", None),
        ("PATCH", f"/guides/{guide_id}/submissions/{submission_id}/error-tag", {"errorTagCode": None}),
    ]


def _call(api, method, path, headers, body):
    return api.request(method, path, headers=headers, body=json.dumps(body) if body is not None else b"")


def test_a_guide_of_a_course_the_teacher_does_not_teach_answers_404_everywhere(api, aws, db, school, other_school,
                                                                               tokens):
    guide = build_guide(db, school, questions=[approved()])
    sid = add_graded_submission(db, guide, 0, school.students[0].profile_id)
    stranger = tokens.headers(**other_school.teacher.claims)
    before = (snapshot(db, "guides", guide.id), snapshot(db, "guide_questions", guide.question_ids[0]),
              snapshot(db, "guide_submissions", sid))
    for method, path, body in _teacher_requests(guide.id, guide.question_ids[0], sid):
        reply = _call(api, method, path, stranger, body)
        assert reply.status_code == 404, (method, path)
        assert _json(reply)["message"] == "You do not teach this guide course"
    unknown = _call(api, "GET", "/guides/no-such-guide", stranger, None)
    assert unknown.status_code == 404 and _json(unknown)["message"] == "Guide not found"
    assert (snapshot(db, "guides", guide.id), snapshot(db, "guide_questions", guide.question_ids[0]),
            snapshot(db, "guide_submissions", sid)) == before
    assert aws.receive_all("guide_ingest") == [] and aws.receive_all("solution_gen") == []


def test_other_roles_are_refused_by_the_guard(api, db, school, tokens):
    guide = build_guide(db, school, questions=[approved()])
    admin = add_person(db, "admin", "root")
    for person in (school.students[0], school.parent, admin):
        headers = tokens.headers(**person.claims)
        requests = _teacher_requests(guide.id, guide.question_ids[0], "s") + [
            ("GET", "/guides", None), ("POST", "/guides", {"courseId": school.course_id, "title": "x"})]
        for method, path, body in requests:
            reply = _call(api, method, path, headers, body)
            assert reply.status_code == 403 and _json(reply)["message"] == "Forbidden resource", (person.role, path)


def test_a_second_teacher_of_the_course_shares_its_guides(api, db, school, tokens):
    colleague = add_person(db, "teacher", "a-colleague")
    db.execute("INSERT INTO course_teachers (course_id, teacher_id, role) VALUES (:c, :t, 'ASSISTANT')",
               {"c": school.course_id, "t": colleague.profile_id})
    guide = build_guide(db, school, questions=[approved()])
    assert api.get(f"/guides/{guide.id}", headers=tokens.headers(**colleague.claims)).status_code == 200


# -- property: no sequence of API calls leaves the state table --------------------------------

_API_ACTIONS = ["ingest", "publish", "archive", "edit_question", "edit_solution", "regenerate", "rename",
                "pipeline"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.tuples(st.sampled_from(_API_ACTIONS), st.integers(0, 7)), min_size=1, max_size=10))
def test_no_sequence_of_api_calls_reaches_a_state_outside_the_table(api, aws, db, school, teacher, actions):
    """Interleave every teacher call that can touch a guide's status with moves of the external AI
    pipeline (which follow the table); each API call either changes nothing or makes a move listed in
    the table, and answers 409 exactly when it refuses an illegal move."""
    data = _json(_create(api, teacher, school.course_id))["data"]
    guide_id = data["guideId"]
    assert http_put(data["presignedPutUrl"], PDF_BYTES, "application/pdf") == 200
    qid = f"{guide_id}-q"
    db.execute("INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, topic_id, updated_at)"
               " VALUES (:q, :g, 0, '1 + 1', 'APPROVED', :t, now())",
               {"q": qid, "g": guide_id, "t": school.topic_ids[0]})
    db.execute("INSERT INTO guide_solutions (id, guide_question_id, version, source, final_answer, steps_json)"
               " VALUES (:id, :q, 1, 'LLM_GENERATED', '2', :s)",
               {"id": f"{qid}-s", "q": qid, "s": canonical_solution("2")})
    calls = {
        "ingest": lambda: _post(api, f"/guides/{guide_id}/ingest", teacher),
        "publish": lambda: _post(api, f"/guides/{guide_id}/publish", teacher),
        "archive": lambda: api.delete(f"/guides/{guide_id}", headers=teacher),
        "edit_question": lambda: _patch(api, f"/guides/{guide_id}/questions/{qid}", teacher, {"status": "APPROVED"}),
        "edit_solution": lambda: _patch(api, f"/guides/{guide_id}/questions/{qid}/solution", teacher,
                                        {"finalAnswer": "2", "stepsJson": canonical_solution("2")}),
        "regenerate": lambda: _post(api, f"/guides/{guide_id}/questions/{qid}/regenerate-solution", teacher),
        "rename": lambda: _patch(api, f"/guides/{guide_id}", teacher, {"title": "otra"}),
    }
    for action, choice in actions:
        before = guide_states.GuideStatus(guide_status(db, guide_id))
        if action == "pipeline":  # the AI engine's move, chosen among the legal ones
            options = sorted(guide_states.TRANSITIONS[before] - {guide_states.GuideStatus.PUBLISHED,
                                                                   guide_states.GuideStatus.ARCHIVED})
            if options:
                target = options[choice % len(options)]
                db.execute("UPDATE guides SET status = CAST(:s AS \"GuideStatus\") WHERE id = :id",
                           {"s": target.value, "id": guide_id})
            continue
        reply = calls[action]()
        after = guide_states.GuideStatus(guide_status(db, guide_id))
        assert after == before or guide_states.can_transition(before, after), (action, before, after)
        assert reply.status_code < 500, (action, reply.json_body)
        if reply.status_code == 409:
            assert after == before
        if action == "publish" and before is guide_states.GuideStatus.REVIEW:
            assert reply.status_code == 201 and after is guide_states.GuideStatus.PUBLISHED
        if action == "archive":
            assert (reply.status_code == 409) == (before is guide_states.GuideStatus.ARCHIVED)
        if action == "ingest" and before in guide_states.INGESTABLE:
            assert reply.status_code == 202 and after is guide_states.GuideStatus.EXTRACTING
    aws.receive_all("guide_ingest")
    aws.receive_all("solution_gen")
