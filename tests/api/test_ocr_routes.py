"""OCR routes against the real database, moto (S3, SQS, SSM) and the local Gemini and Anthropic fakes.

- ``POST /attempts/photo-upload-url``: the presigned PUT really stores the photo with the attempt
  context as object metadata (what the ocrWorker reads);
- ``POST /attempts/ocr-extract``: a multipart photo read in-request, through both entry paths
  (chalice's test client and API Gateway proxy events with a base64 binary body);
- ``POST /student/guides/{id}/scan-page``: submissions and grading jobs per matched exercise.
"""
from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from chalicelib import dependencies
from chalicelib.messaging.messages import SubmissionGrade
from tests.ai import image_samples as samples
from tests.api.guide_builders import approved, body_of, build_guide, http_put, trace_attribute

BOUNDARY = "----innova-test-boundary"


def attempt_of(db, student, attempt_id: str | None = None) -> str:
    return db.fetch_value("INSERT INTO attempts (id, student_id, is_correct) VALUES (:id, :s, false) RETURNING id",
                          {"id": attempt_id or f"att-{uuid.uuid4().hex[:8]}", "s": student.profile_id})


def multipart(field: str, data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhola\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def form_headers(headers: dict) -> dict:
    return {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def cost_rows(db) -> list[dict]:
    return db.fetch_all("SELECT worker, model, input_tokens, output_tokens, cost_usd, trace_id FROM cost_events"
                        " ORDER BY created_at, ctid")  # insert-only table: ctid follows insertion order


# -- POST /attempts/photo-upload-url -----------------------------------------------------------------

def test_photo_upload_url_stores_the_photo_with_the_attempt_context(api, aws, db, student, pupil):
    attempt_id = attempt_of(db, student)
    response = api.post("/attempts/photo-upload-url", headers={**pupil, "x-trace-id": "trace-upload-1"},
                        body=json.dumps({"attemptId": attempt_id}))
    assert response.status_code == 201
    data = response.json_body["data"]
    assert set(data) == {"uploadId", "photoKey", "presignedUrl", "uploadHeaders"}
    assert str(uuid.UUID(data["uploadId"])) == data["uploadId"]
    assert data["photoKey"] == f"uploads/{student.profile_id}/{data['uploadId']}.jpg"
    assert data["uploadHeaders"] == {"Content-Type": "image/jpeg", "x-amz-meta-attempt-id": attempt_id,
                                     "x-amz-meta-trace-id": "trace-upload-1"}
    request = urllib.request.Request(data["presignedUrl"], data=samples.jpeg(), method="PUT",
                                     headers=data["uploadHeaders"])
    with urllib.request.urlopen(request) as reply:  # noqa: S310 - local moto endpoint
        assert reply.status == 200
    stored = aws.client("s3").head_object(Bucket=aws.bucket_names["ocr_uploads"], Key=data["photoKey"])
    assert stored["Metadata"] == {"attempt-id": attempt_id, "trace-id": "trace-upload-1"}
    assert stored["ContentType"] == "image/jpeg"
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1  # nothing written


def test_photo_upload_url_refuses_other_students_attempts_and_unknown_ids(api, aws, db, school, pupil):
    foreign = attempt_of(db, school.students[1])
    for attempt_id in (foreign, "no-such-attempt"):
        response = api.post("/attempts/photo-upload-url", headers=pupil, body=json.dumps({"attemptId": attempt_id}))
        assert response.status_code == 404
        assert response.json_body["message"] == f"Attempt {attempt_id} not found"


def test_photo_upload_url_is_for_students_with_a_valid_body(api, aws, db, school, student, pupil, tokens):
    attempt_id = attempt_of(db, student)
    teacher = tokens.headers(**school.teacher.claims)
    assert api.post("/attempts/photo-upload-url", headers=teacher,
                    body=json.dumps({"attemptId": attempt_id})).status_code == 403
    for body in ({}, {"attemptId": ""}, {"attemptId": 5}, {"attemptId": attempt_id, "studentId": "x"}):
        response = api.post("/attempts/photo-upload-url", headers=pupil, body=json.dumps(body))
        assert response.status_code == 400, body


def test_photo_upload_url_without_a_bucket_is_unavailable(api, db, student, pupil, monkeypatch):
    monkeypatch.delenv("S3_OCR_UPLOADS_BUCKET", raising=False)
    dependencies.reset()
    response = api.post("/attempts/photo-upload-url", headers=pupil, body=json.dumps({"attemptId": attempt_of(db, student)}))
    assert response.status_code == 503 and "S3_OCR_UPLOADS_BUCKET" in response.json_body["message"]


# -- POST /attempts/ocr-extract -----------------------------------------------------------------------

PAGE = {"exercises": [
    {"problem": "52 - 27", "latex_steps": ["52 - 27", "= 35"], "final_answer": "35", "overall_confidence": 0.9,
     "topic_hint": "subtraction_borrow"},
    {"problem": "4 + 5", "latex_steps": ["9"], "final_answer": "9", "overall_confidence": 0.95}]}


def test_ocr_extract_reads_the_exercises_of_a_photo(api, db, pupil, gemini_fake, anthropic_fake, ai_switches):
    gemini_fake.script(gemini_fake.json_reply(PAGE))
    response = api.post("/attempts/ocr-extract", headers={**form_headers(pupil), "x-trace-id": "trace-ocr-1"},
                        body=multipart("image", samples.jpeg_with_exif()))
    assert response.status_code == 201
    assert response.json_body["data"] == {"exercises": [
        {"problem": "52 - 27", "rawSteps": [{"expression": "52 - 27", "isFinal": False},
                                            {"expression": "= 35", "isFinal": True}],
         "finalAnswer": "35", "topicHint": "subtraction_borrow", "confidence": 0.9},
        {"problem": "4 + 5", "rawSteps": [{"expression": "9", "isFinal": True}], "finalAnswer": "9",
         "topicHint": None, "confidence": 0.95}]}
    [(mime, sent)] = gemini_fake.requests[0].inline_images()
    assert mime == "image/jpeg" and samples.GPS_MARKER not in sent and b"Juan Perez" not in sent
    assert anthropic_fake.requests == []  # page confidence 0.925 ≥ 0.85
    [row] = cost_rows(db)
    assert (row["worker"], row["model"], row["cost_usd"], row["trace_id"]) == (
        "ocr_in_request", "gemini-2.5-flash", 0.0, "trace-ocr-1")
    assert row["input_tokens"] > 0


def test_ocr_extract_falls_back_to_claude_below_085(api, db, pupil, gemini_fake, anthropic_fake, ai_switches):
    doubtful = {"exercises": [{**PAGE["exercises"][0], "overall_confidence": 0.6}]}
    confident = {"exercises": [{**PAGE["exercises"][0], "final_answer": "25", "overall_confidence": 0.9}]}
    gemini_fake.script(gemini_fake.json_reply(doubtful))
    anthropic_fake.script(anthropic_fake.tool_use("extract_exercises", confident))
    response = api.post("/attempts/ocr-extract", headers=form_headers(pupil), body=multipart("image", samples.png()))
    assert response.json_body["data"]["exercises"][0]["finalAnswer"] == "25"
    assert anthropic_fake.requests[0].images()[0]["media_type"] == "image/png"
    assert [row["model"] for row in cost_rows(db)] == ["gemini-2.5-flash", "claude-haiku-4-5-20251001"]
    assert cost_rows(db)[1]["cost_usd"] > 0


def test_ocr_extract_survives_api_gateway_binary_bodies(gateway, database_url, tokens, db, student,
                                                        gemini_fake, anthropic_fake, ai_switches):
    gemini_fake.script(gemini_fake.json_reply(PAGE))
    response = gateway.post("/attempts/ocr-extract", headers=form_headers(tokens.headers(**student.claims)),
                            body=multipart("image", samples.jpeg()))
    assert response.status == 201
    assert gemini_fake.requests[0].inline_images()[0][1] == samples.jpeg()
    assert len(response.json["data"]["exercises"]) == 2


@pytest.mark.parametrize("data, reason", [
    (samples.jpeg()[:300], "corrupt"), (b"%PDF-1.7 not an image", "unsupported_type"),
    (samples.png_image(2, 2)[:-20], "corrupt"), (b"\xff\xd8\xff" + bytes(5 * 1024 * 1024), "too_large")])
def test_ocr_extract_refuses_bad_images_before_any_provider_call(api, db, pupil, gemini_fake, anthropic_fake,
                                                                 ai_switches, data, reason):
    response = api.post("/attempts/ocr-extract", headers=form_headers(pupil), body=multipart("image", data))
    assert response.status_code == 400
    assert response.json_body["details"][0]["field"] == "image"
    assert response.json_body["details"][0]["type"] == reason
    assert gemini_fake.requests == [] and anthropic_fake.requests == []


def test_ocr_extract_needs_a_multipart_image_field(api, pupil, gemini_fake, anthropic_fake, ai_switches):
    cases = [(pupil, json.dumps({"image": "x"}), "content_type"),
             (form_headers(pupil), multipart("photo", samples.jpeg()), "missing"),
             (form_headers(pupil), multipart("image", b""), "empty")]
    for headers, body, kind in cases:
        response = api.post("/attempts/ocr-extract", headers=headers, body=body)
        assert response.status_code == 400 and response.json_body["details"][0]["type"] == kind
    assert gemini_fake.requests == []


def test_ocr_extract_with_failing_providers_is_an_empty_list(api, pupil, gemini_fake, anthropic_fake, ai_switches):
    gemini_fake.script(gemini_fake.error(500))
    anthropic_fake.script(anthropic_fake.error(529))
    response = api.post("/attempts/ocr-extract", headers=form_headers(pupil), body=multipart("image", samples.jpeg()))
    assert response.status_code == 201 and response.json_body["data"] == {"exercises": []}


def test_ocr_extract_honours_the_ocr_killswitch(api, pupil, gemini_fake, anthropic_fake, ai_switches):
    ai_switches.set("OCR_PAUSED", True)
    response = api.post("/attempts/ocr-extract", headers=form_headers(pupil), body=multipart("image", samples.jpeg()))
    assert response.status_code == 503 and "paused" in response.json_body["message"]
    assert gemini_fake.requests == [] and anthropic_fake.requests == []


# -- POST /student/guides/{id}/scan-page ----------------------------------------------------------------

def upload_scan(api, aws, guide, pupil) -> str:
    data = api.get(f"/student/guides/{guide.id}/scan-page-url", headers=pupil).json_body["data"]
    assert http_put(data["presignedUrl"], samples.jpeg(), "image/jpeg") == 200
    return data["photoKey"]


def test_scan_page_creates_one_graded_submission_per_matched_exercise(api, aws, db, school, student, pupil,
                                                                      gemini_fake, anthropic_fake, ai_switches):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved(), approved(), approved()])
    key = upload_scan(api, aws, guide, pupil)
    gemini_fake.script(gemini_fake.json_reply(PAGE))  # two exercises for three questions
    response = api.post(f"/student/guides/{guide.id}/scan-page", headers={**pupil, "x-trace-id": "trace-scan-1"},
                        body=json.dumps({"photoKey": key}))
    assert response.status_code == 200
    data = response.json_body["data"]
    assert data["photoKey"] == key and data["matched"] == 2
    assert [(s["questionId"], s["sequence"], s["skipped"]) for s in data["submissions"]] == [
        (guide.question_ids[0], 0, False), (guide.question_ids[1], 1, False)]
    assert all("reason" not in s for s in data["submissions"])
    rows = db.fetch_all("SELECT id, guide_question_id, status::text AS status, photo_keys, trace_id, solution_version"
                        " FROM guide_submissions ORDER BY guide_question_id")
    assert [(r["guide_question_id"], r["status"], r["photo_keys"], r["trace_id"], r["solution_version"]) for r in rows] == [
        (guide.question_ids[0], "TRANSCRIBING", [key], "trace-scan-1", 1),
        (guide.question_ids[1], "TRANSCRIBING", [key], "trace-scan-1", 1)]
    messages = aws.receive_all("submission_grade")
    bodies = sorted((SubmissionGrade.model_validate(body_of(m)) for m in messages), key=lambda b: b.guide_question_id)
    assert [(b.guide_submission_id, b.photo_keys, b.solution_version) for b in bodies] == [
        (r["id"], [key], 1) for r in rows]
    assert {trace_attribute(m) for m in messages} == {"trace-scan-1"}
    # A later "complete" cannot enqueue these submissions a second time.
    completed = api.post(f"/student/submissions/{rows[0]['id']}/complete", headers=pupil)
    assert completed.json_body["data"] == {"status": "TRANSCRIBING"} and aws.receive_all("submission_grade") == []


def test_scan_page_skips_questions_at_their_resubmission_cap(api, aws, db, school, student, pupil,
                                                             gemini_fake, anthropic_fake, ai_switches):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved(), approved()], max_resubmissions=0)
    key = upload_scan(api, aws, guide, pupil)
    gemini_fake.script(gemini_fake.json_reply(PAGE), gemini_fake.json_reply(PAGE))
    api.post(f"/student/guides/{guide.id}/scan-page", headers=pupil, body=json.dumps({"photoKey": key}))
    aws.receive_all("submission_grade")
    data = api.post(f"/student/guides/{guide.id}/scan-page", headers=pupil,
                    body=json.dumps({"photoKey": key})).json_body["data"]
    assert data["matched"] == 0
    assert data["submissions"] == [
        {"questionId": guide.question_ids[0], "sequence": 0, "submissionId": None, "skipped": True,
         "reason": "limit_reached"},
        {"questionId": guide.question_ids[1], "sequence": 1, "submissionId": None, "skipped": True,
         "reason": "limit_reached"}]
    assert aws.receive_all("submission_grade") == []


def test_scan_page_with_no_readable_exercise_matches_nothing(api, aws, db, school, pupil, gemini_fake, anthropic_fake,
                                                             ai_switches):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    key = upload_scan(api, aws, guide, pupil)
    gemini_fake.script(gemini_fake.json_reply({"exercises": []}))
    anthropic_fake.script(anthropic_fake.tool_use("extract_exercises", {"exercises": []}))
    data = api.post(f"/student/guides/{guide.id}/scan-page", headers=pupil,
                    body=json.dumps({"photoKey": key})).json_body["data"]
    assert data == {"photoKey": key, "matched": 0, "submissions": []}
    assert db.fetch_value("SELECT count(*) FROM guide_submissions") == 0


def test_scan_page_refusals(api, aws, db, school, student, pupil, gemini_fake, anthropic_fake, ai_switches):
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    other_student_key = f"guide-scans/{guide.id}/{school.students[1].profile_id}/{uuid.uuid4()}.jpg"
    missing_key = f"guide-scans/{guide.id}/{student.profile_id}/{uuid.uuid4()}.jpg"
    assert api.post(f"/student/guides/{guide.id}/scan-page", headers=pupil,
                    body=json.dumps({"photoKey": other_student_key})).status_code == 400
    missing = api.post(f"/student/guides/{guide.id}/scan-page", headers=pupil, body=json.dumps({"photoKey": missing_key}))
    assert missing.status_code == 400 and missing.json_body["message"] == "Photo not found in storage — upload it first"
    assert api.post("/student/guides/no-such-guide/scan-page", headers=pupil,
                    body=json.dumps({"photoKey": missing_key})).status_code == 404
    unapproved = build_guide(db, school, status="PUBLISHED", questions=[])
    key = upload_scan(api, aws, unapproved, pupil)
    empty = api.post(f"/student/guides/{unapproved.id}/scan-page", headers=pupil, body=json.dumps({"photoKey": key}))
    assert empty.status_code == 404 and empty.json_body["message"] == "No approved questions found for this guide"
    corrupt_key = upload_scan(api, aws, guide, pupil)
    aws.client("s3").put_object(Bucket=aws.bucket_names["submissions"], Key=corrupt_key, Body=samples.jpeg()[:200],
                                ContentType="image/jpeg")
    corrupt = api.post(f"/student/guides/{guide.id}/scan-page", headers=pupil, body=json.dumps({"photoKey": corrupt_key}))
    assert corrupt.status_code == 400 and corrupt.json_body["details"][0]["type"] == "corrupt"
    assert gemini_fake.requests == [] and db.fetch_value("SELECT count(*) FROM guide_submissions") == 0
