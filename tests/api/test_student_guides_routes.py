"""Student guide routes (api.md §4.9) against the real database, moto S3 and SQS.

Photos go up through the returned presigned URLs with real HTTP PUTs; the grading job is read back
from moto and validated with the shared message model; ``complete`` enqueues exactly once.
"""
from __future__ import annotations

import json
import re
import urllib.parse

from chalicelib import dependencies
from chalicelib.domain.guide_uploads import is_own_scan_key
from chalicelib.messaging.messages import SubmissionGrade
from tests.api.guide_builders import (JPEG_BYTES, add_error_tag, add_graded_submission, approved, body_of,
                                      build_guide, canonical_solution, http_put, question, snapshot,
                                      trace_attribute)
from tests.factories import add_person, build_school


def _json(response):
    return response.json_body


def _post(api, path, headers, body=None):
    return api.post(path, headers=headers, body=json.dumps(body) if body is not None else None)


def _submit(api, headers, guide, index=0, photos=1):
    return _post(api, f"/student/guides/{guide.id}/questions/{guide.question_ids[index]}/submissions", headers,
                 {"photoCount": photos})


def _upload_all(urls, content_type="image/jpeg"):
    for url in urls:
        assert http_put(url, JPEG_BYTES, content_type) == 200


# -- listing and the quiz ----------------------------------------------------------------------

def test_list_shows_published_guides_of_active_courses_in_due_order(api, db, school, student, pupil):
    other = build_school(db, "b")
    later = build_guide(db, school, status="PUBLISHED", key="later", due_at="2030-02-01T00:00:00Z",
                        questions=[approved(), approved(), question("EXCLUDED")])
    sooner = build_guide(db, school, status="PUBLISHED", key="sooner", due_at="2030-01-01T00:00:00Z",
                         questions=[approved()])
    undated = build_guide(db, school, status="PUBLISHED", key="undated", questions=[approved()])
    build_guide(db, school, status="REVIEW", key="draft", questions=[approved()])
    build_guide(db, other, status="PUBLISHED", key="foreign", questions=[approved()])
    add_graded_submission(db, later, 0, student.profile_id, attempt_number=1)
    add_graded_submission(db, later, 0, student.profile_id, attempt_number=2)
    add_graded_submission(db, later, 1, student.profile_id, status="FAILED")

    items = _json(api.get("/student/guides", headers=pupil))["data"]
    assert [g["id"] for g in items] == [sooner.id, later.id, undated.id]
    assert items[1] == {"id": later.id, "title": f"Guía {later.id}", "description": None,
                        "dueAt": "2030-02-01T00:00:00.000Z", "totalQuestions": 2, "gradedQuestions": 1}

    db.execute("UPDATE enrollments SET status = 'INACTIVE' WHERE student_id = :s", {"s": student.profile_id})
    assert _json(api.get("/student/guides", headers=pupil))["data"] == []


def test_the_quiz_shows_approved_questions_and_own_submissions_never_solutions(api, db, school, student, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved(), question("EXCLUDED"), approved()])
    first = add_graded_submission(db, guide, 0, student.profile_id, attempt_number=1)
    second = add_graded_submission(db, guide, 0, student.profile_id, attempt_number=2, status="FAILED")
    add_graded_submission(db, guide, 0, school.students[1].profile_id)  # someone else's

    reply = api.get(f"/student/guides/{guide.id}", headers=pupil)
    data = _json(reply)["data"]
    assert data["guide"] == {"id": guide.id, "title": f"Guía {guide.id}", "dueAt": None, "maxResubmissions": 2}
    assert [q["id"] for q in data["questions"]] == [guide.question_ids[0], guide.question_ids[2]]
    assert [s["id"] for s in data["questions"][0]["submissions"]] == [second, first]
    assert data["questions"][0]["submissions"][1]["status"] == "GRADED"
    assert data["questions"][1]["submissions"] == []
    assert "solution" not in reply.body.decode().lower() and '"42"' not in json.dumps(data)  # the key, as a JSON value


def test_unpublished_foreign_or_unknown_guides_are_404(api, db, school, pupil, tokens):
    draft = build_guide(db, school, status="REVIEW", questions=[approved()])
    other = build_school(db, "b")
    foreign = build_guide(db, other, status="PUBLISHED", questions=[approved()])
    for guide_id, message in ((draft.id, "Guide not found"), ("nope", "Guide not found"),
                              (foreign.id, "You are not enrolled in this guide course")):
        for path in (f"/student/guides/{guide_id}", f"/student/guides/{guide_id}/results",
                     f"/student/guides/{guide_id}/scan-page-url"):
            reply = api.get(path, headers=pupil)
            assert reply.status_code == 404 and _json(reply)["message"] == message, path
        reply = _post(api, f"/student/guides/{guide_id}/questions/q/submissions", pupil, {"photoCount": 1})
        assert reply.status_code == 404 and _json(reply)["message"] == message


def test_other_roles_are_refused_by_the_guard(api, db, school, tokens):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    for person in (school.teacher, school.parent, add_person(db, "admin", "root")):
        headers = tokens.headers(**person.claims)
        for method, path in (("GET", "/student/guides"), ("GET", f"/student/guides/{guide.id}"),
                             ("POST", f"/student/guides/{guide.id}/questions/{guide.question_ids[0]}/submissions"),
                             ("POST", "/student/submissions/s/complete"), ("GET", "/student/submissions/s/status"),
                             ("GET", f"/student/guides/{guide.id}/results"),
                             ("GET", f"/student/guides/{guide.id}/scan-page-url")):
            reply = api.request(method, path, headers=headers, body=json.dumps({"photoCount": 1}))
            assert reply.status_code == 403, (person.role, path)


# -- submissions -------------------------------------------------------------------------------

def test_a_submission_signs_one_jpeg_upload_per_photo_under_its_own_prefix(api, aws, db, school, student, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    reply = _submit(api, {**pupil, "x-trace-id": "trace-submit"}, guide, photos=3)
    assert reply.status_code == 201, reply.json_body
    data = _json(reply)["data"]
    assert data["attemptNumber"] == 1 and len(data["presignedPutUrls"]) == 3
    row = snapshot(db, "guide_submissions", data["submissionId"])
    assert (row["status"], row["student_id"], row["guide_id"], row["trace_id"]) == (
        "UPLOADED", student.profile_id, guide.id, "trace-submit")
    assert len(row["photo_keys"]) == 3
    for key, url in zip(row["photo_keys"], data["presignedPutUrls"]):
        assert re.fullmatch(rf"submissions/{data['submissionId']}/[0-9a-f-]{{36}}\.jpg", key)
        assert urllib.parse.unquote(urllib.parse.urlsplit(url).path).endswith(key)
        assert "X-Amz-Expires=600" in url
    _upload_all(data["presignedPutUrls"])
    s3 = aws.client("s3")
    for key in row["photo_keys"]:
        stored = s3.get_object(Bucket=aws.bucket_names["submissions"], Key=key)
        assert stored["Body"].read() == JPEG_BYTES and stored["ContentType"] == "image/jpeg"


def test_submission_body_is_validated(api, aws, db, school, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    path = f"/student/guides/{guide.id}/questions/{guide.question_ids[0]}/submissions"
    for body in ({}, {"photoCount": 0}, {"photoCount": 4}, {"photoCount": "2"}, {"photoCount": 1.5},
                 {"photoCount": 1, "contentType": "image/png"}, {"photoCount": 1, "studentId": "x"}):
        reply = _post(api, path, pupil, body)
        assert reply.status_code == 400, body
    assert _post(api, path, pupil, {"photoCount": 1, "contentType": "image/jpeg"}).status_code == 201
    assert db.fetch_value("SELECT count(*) FROM guide_submissions") == 1


def test_only_approved_questions_of_this_guide_take_submissions(api, aws, db, school, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved(), question("EXCLUDED")])
    other = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    for qid in (guide.question_ids[1], other.question_ids[0], "nope"):
        reply = _post(api, f"/student/guides/{guide.id}/questions/{qid}/submissions", pupil, {"photoCount": 1})
        assert reply.status_code == 404 and _json(reply)["message"] == "Question not found or not part of this guide"
    assert db.fetch_value("SELECT count(*) FROM guide_submissions") == 0


def test_the_resubmission_cap_counts_only_submissions_that_did_not_fail(api, aws, db, school, student, pupil,
                                                                       tokens):
    guide = build_guide(db, school, status="PUBLISHED", max_resubmissions=1, questions=[approved()])
    add_graded_submission(db, guide, 0, student.profile_id, attempt_number=1, status="FAILED")
    assert _json(_submit(api, pupil, guide))["data"]["attemptNumber"] == 2  # failed ones keep their number
    assert _json(_submit(api, pupil, guide))["data"]["attemptNumber"] == 3
    refused = _submit(api, pupil, guide)
    assert refused.status_code == 400 and _json(refused)["message"] == "Re-submission limit reached (1)"
    assert db.fetch_value("SELECT count(*) FROM guide_submissions") == 3
    classmate = tokens.headers(**school.students[1].claims)  # the cap is per student
    assert _json(_submit(api, classmate, guide))["data"]["attemptNumber"] == 1


# -- complete ----------------------------------------------------------------------------------

def _started_submission(api, db, pupil, guide, photos=2):
    data = _json(_submit(api, pupil, guide, photos=photos))["data"]
    return data["submissionId"], data["presignedPutUrls"]


def test_complete_enqueues_grading_once_and_a_repeated_call_changes_nothing(api, aws, db, school, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid, urls = _started_submission(api, db, pupil, guide)
    _upload_all(urls)
    reply = _post(api, f"/student/submissions/{sid}/complete", {**pupil, "x-trace-id": "trace-complete"})
    assert reply.status_code == 202 and _json(reply)["statusCode"] == 202
    assert _json(reply)["data"] == {"status": "UPLOADED"}
    row = snapshot(db, "guide_submissions", sid)
    assert (row["status"], row["solution_version"]) == ("TRANSCRIBING", 1)

    [message] = aws.receive_all("submission_grade")
    job = SubmissionGrade.model_validate(body_of(message))
    assert job == SubmissionGrade(guide_submission_id=sid, guide_question_id=guide.question_ids[0],
                                  solution_version=1, photo_keys=row["photo_keys"], trace_id=row["trace_id"])
    assert trace_attribute(message) == "trace-complete"

    for _ in range(2):
        again = _post(api, f"/student/submissions/{sid}/complete", pupil)
        assert again.status_code == 202 and _json(again)["data"] == {"status": "TRANSCRIBING"}
    assert snapshot(db, "guide_submissions", sid) == row
    assert aws.receive_all("submission_grade") == []

    db.execute("UPDATE guide_submissions SET status = 'GRADED' WHERE id = :id", {"id": sid})
    assert _json(_post(api, f"/student/submissions/{sid}/complete", pupil))["data"] == {"status": "GRADED"}
    assert aws.receive_all("submission_grade") == []


def test_complete_without_a_current_solution_sends_version_zero(api, aws, db, school, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved(solution=None)])
    sid, urls = _started_submission(api, db, pupil, guide, photos=1)
    _upload_all(urls)
    assert _post(api, f"/student/submissions/{sid}/complete", pupil).status_code == 202
    assert snapshot(db, "guide_submissions", sid)["solution_version"] is None
    [message] = aws.receive_all("submission_grade")
    assert SubmissionGrade.model_validate(body_of(message)).solution_version == 0


def test_complete_refuses_missing_or_wrongly_typed_photos_and_changes_nothing(api, aws, db, school, pupil):
    guide = build_guide(db, school, status="PUBLISHED", max_resubmissions=5, questions=[approved()])
    cases = [
        (lambda urls: http_put(urls[0], JPEG_BYTES, "image/jpeg"), "Not all photos were uploaded"),
        (lambda urls: [http_put(u, b"<html>", "text/html") for u in urls], "Photos must be image/jpeg"),
        (lambda urls: [http_put(u, b"", "image/jpeg") for u in urls], "A photo is empty"),
    ]
    for upload, message in cases:
        sid, urls = _started_submission(api, db, pupil, guide)
        upload(urls)
        before = snapshot(db, "guide_submissions", sid)
        reply = _post(api, f"/student/submissions/{sid}/complete", pupil)
        assert reply.status_code == 400 and _json(reply)["message"].startswith(message)
        assert snapshot(db, "guide_submissions", sid) == before
    assert aws.receive_all("submission_grade") == []


def test_completing_someone_elses_submission_is_404_and_changes_nothing(api, aws, db, school, pupil, tokens):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid, urls = _started_submission(api, db, pupil, guide)
    _upload_all(urls)
    classmate = tokens.headers(**school.students[1].claims)
    before = snapshot(db, "guide_submissions", sid)
    for path in (f"/student/submissions/{sid}/complete", "/student/submissions/nope/complete"):
        reply = _post(api, path, classmate)
        assert reply.status_code == 404 and _json(reply)["message"] == "Submission not found"
    status = api.get(f"/student/submissions/{sid}/status", headers=classmate)
    assert status.status_code == 404
    assert snapshot(db, "guide_submissions", sid) == before
    assert aws.receive_all("submission_grade") == []


def test_completing_a_failed_submission_is_409(api, aws, db, school, student, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid = add_graded_submission(db, guide, 0, student.profile_id, status="FAILED")
    before = snapshot(db, "guide_submissions", sid)
    reply = _post(api, f"/student/submissions/{sid}/complete", pupil)
    assert reply.status_code == 409 and _json(reply)["message"] == "Submission already FAILED — cannot complete again"
    assert snapshot(db, "guide_submissions", sid) == before
    assert aws.receive_all("submission_grade") == []


def test_a_refused_publish_rolls_complete_back_so_a_retry_enqueues(api, aws, db, school, pupil, monkeypatch):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid, urls = _started_submission(api, db, pupil, guide)
    _upload_all(urls)
    monkeypatch.setenv("SQS_SUBMISSION_GRADE_URL", aws.queue_urls["submission_grade"] + "-does-not-exist")
    dependencies.reset()
    failed = _post(api, f"/student/submissions/{sid}/complete", pupil)
    assert failed.status_code == 503 and "retry" in _json(failed)["message"]
    assert snapshot(db, "guide_submissions", sid)["status"] == "UPLOADED"

    monkeypatch.delenv("SQS_SUBMISSION_GRADE_URL")
    dependencies.reset()
    unconfigured = _post(api, f"/student/submissions/{sid}/complete", pupil)
    assert unconfigured.status_code == 503 and "SQS_SUBMISSION_GRADE_URL not configured" in _json(unconfigured)[
        "message"]
    assert snapshot(db, "guide_submissions", sid)["status"] == "UPLOADED"

    monkeypatch.setenv("SQS_SUBMISSION_GRADE_URL", aws.queue_urls["submission_grade"])
    dependencies.reset()
    assert _post(api, f"/student/submissions/{sid}/complete", pupil).status_code == 202
    assert [body_of(m)["guide_submission_id"] for m in aws.receive_all("submission_grade")] == [sid]


# -- status and results ------------------------------------------------------------------------

def test_status_shows_the_effective_tag(api, db, school, student, pupil):
    own = add_error_tag(db, "E_OWN", "Propio", hint="Revisa la reserva")
    teacher_choice = add_error_tag(db, "E_TEACHER", "Del profesor", hint="Alinea las columnas")
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    sid = add_graded_submission(db, guide, 0, student.profile_id, tag_id=own, score=0.25)
    data = _json(api.get(f"/student/submissions/{sid}/status", headers=pupil))["data"]
    assert (data["id"], data["status"], data["score"], data["isCorrect"]) == (sid, "GRADED", 0.25, False)
    assert (data["errorTagCode"], data["errorTagName"], data["diagnosticHint"]) == ("E_OWN", "Propio",
                                                                                    "Revisa la reserva")
    assert re.fullmatch(r".*\.\d{3}Z", data["gradedAt"])
    db.execute("UPDATE guide_submissions SET override_error_tag_id = :t WHERE id = :id",
               {"t": teacher_choice, "id": sid})
    data = _json(api.get(f"/student/submissions/{sid}/status", headers=pupil))["data"]
    assert (data["errorTagCode"], data["diagnosticHint"]) == ("E_TEACHER", "Alinea las columnas")


def test_results_show_the_latest_submission_and_the_solution_only_when_allowed(api, db, school, student, pupil):
    nameless = add_error_tag(db, "E_NAMELESS", "")
    guide = build_guide(db, school, status="PUBLISHED", show_solution_after_grade=True,
                        questions=[approved(), approved(), approved()])
    add_graded_submission(db, guide, 0, student.profile_id, attempt_number=1, is_correct=True, score=1.0)
    add_graded_submission(db, guide, 0, student.profile_id, attempt_number=2, tag_id=nameless)
    add_graded_submission(db, guide, 1, student.profile_id, status="UPLOADED")

    data = _json(api.get(f"/student/guides/{guide.id}/results", headers=pupil))["data"]
    assert data["guideId"] == guide.id and data["showSolution"] is True
    graded, pending, untouched = data["questions"]
    assert (graded["status"], graded["isCorrect"], graded["errorTagCode"], graded["errorTagName"]) == (
        "GRADED", False, "E_NAMELESS", None)  # the latest attempt; empty name shown as null
    assert graded["solution"]["stepsJson"] == canonical_solution() and graded["solution"]["isCurrent"] is True
    assert (pending["status"], pending["solution"]) == ("UPLOADED", None)
    assert (untouched["status"], untouched["score"], untouched["solution"]) == ("NOT_SUBMITTED", None, None)

    db.execute("UPDATE guides SET show_solution_after_grade = false WHERE id = :id", {"id": guide.id})
    hidden = _json(api.get(f"/student/guides/{guide.id}/results", headers=pupil))["data"]
    assert hidden["showSolution"] is False and all(q["solution"] is None for q in hidden["questions"])


# -- scan-page upload URL ----------------------------------------------------------------------

def test_scan_page_url_signs_a_jpeg_upload_under_the_callers_own_prefix(api, aws, db, school, student, pupil):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    data = _json(api.get(f"/student/guides/{guide.id}/scan-page-url", headers=pupil))["data"]
    assert data["photoKey"].startswith(f"guide-scans/{guide.id}/{student.profile_id}/")
    assert is_own_scan_key(data["photoKey"], guide.id, student.profile_id)
    assert not is_own_scan_key(data["photoKey"], guide.id, school.students[1].profile_id)
    assert http_put(data["presignedUrl"], JPEG_BYTES, "image/jpeg") == 200
    stored = aws.client("s3").get_object(Bucket=aws.bucket_names["submissions"], Key=data["photoKey"])
    assert stored["Body"].read() == JPEG_BYTES
