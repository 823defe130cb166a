"""ocrWorker through the real handler (``app.ocr_worker``): moto S3 (real bucket notifications), the
document store on the embedded PostgreSQL, moto SQS and SSM, and the local Gemini/Anthropic fakes."""
from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import datetime, timedelta

import pytest

from chalicelib import dependencies
from chalicelib.documents.postgres_store import PostgresDocumentStore
from chalicelib.messaging.messages import AttemptReprocess
from tests.ai import image_samples as samples
from tests.factories import build_school

HANDLER = "ocr_worker"


def steps(confidence: float, *lines: str, answer: str = "225") -> dict:
    return {"latex_steps": list(lines) if lines else ["352 - 127", "= 225"], "final_answer": answer,
            "overall_confidence": confidence, "topic_hint": "subtraction_borrow"}


@pytest.fixture
def school(db):
    return build_school(db, "a", students=1)


@pytest.fixture
def bucket(aws) -> str:
    """The upload bucket, notifying a test queue of every ObjectCreated (moto builds the real events)."""
    name = aws.bucket_names["ocr_uploads"]
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"{aws.stage}-ocr-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("s3").put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    aws.queue_urls["ocr_events"] = queue_url
    aws.receive_all("ocr_events")  # moto's s3:TestEvent
    return name


@pytest.fixture
def ocr(database_url, aws, bucket, gemini_fake, anthropic_fake, ai_switches, lambda_client, db, school):
    """``ocr.upload(...)`` puts a photo and returns moto's S3 event; ``ocr.run(event)`` invokes the worker."""
    class Harness:
        student = school.students[0].profile_id
        store = PostgresDocumentStore(db)

        def upload(self, body: bytes = samples.jpeg_with_exif(), *, attempt_id: str | None = "att-1",
                   trace_id: str = "trace-photo-1", key: str | None = None) -> dict:
            key = key or f"uploads/{self.student}/{uuid.uuid4()}.jpg"
            metadata = {k: v for k, v in (("attempt-id", attempt_id), ("trace-id", trace_id)) if v}
            aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="image/jpeg", Metadata=metadata)
            return self.next_event()

        def next_event(self) -> dict:
            [message] = aws.receive_all("ocr_events")
            return json.loads(message["Body"])

        def run(self, event: dict) -> dict:
            return lambda_client.invoke(HANDLER, event).payload

        def job(self, event: dict) -> dict | None:
            key = event["Records"][0]["s3"]["object"]["key"].replace("%2F", "/")
            return self.store.find_ocr_job(key.rsplit("/", 1)[1][:-4])

        def messages(self) -> list[dict]:
            return aws.receive_all("attempt_reprocess")

    return Harness()


def upload_id_of(event: dict) -> str:
    return event["Records"][0]["s3"]["object"]["key"].replace("%2F", "/").rsplit("/", 1)[1][:-4]


def test_a_confident_reading_completes_the_job_and_asks_for_a_reprocess(ocr, gemini_fake, anthropic_fake, db):
    event = ocr.upload()
    assert "%2F" in event["Records"][0]["s3"]["object"]["key"]  # moto encodes '/': the worker decodes it
    gemini_fake.script(gemini_fake.json_reply(steps(0.92)))
    result = ocr.run(event)
    assert result["results"][0]["status"] == "completed" and result["results"][0]["published"] is True

    [(mime, sent)] = gemini_fake.requests[0].inline_images()
    assert mime == "image/jpeg" and samples.GPS_MARKER not in sent
    assert anthropic_fake.requests == []
    job = ocr.job(event)
    assert job["upload_id"] == upload_id_of(event) and job["student_id"] == ocr.student
    assert job["s3_key"] == f"uploads/{ocr.student}/{upload_id_of(event)}.jpg"
    assert (job["status"], job["attempt_id"], job["trace_id"]) == ("completed", "att-1", "trace-photo-1")
    assert (job["primary_provider"], job["used_fallback"], job["fallback_provider"]) == ("gemini", False, None)
    assert job["cost_estimated_usd"] == 0.0 and job["duration_ms"] >= 0 and job["completed_at"]
    assert job["ocr_result"] == {
        "topic_hint": "subtraction_borrow", "final_answer": "225", "overall_confidence": 0.92,
        "steps": [{"rawText": "352 - 127", "type": "step", "position": None, "confidence": 0.92},
                  {"rawText": "= 225", "type": "final_answer", "position": None, "confidence": 0.92}]}
    event_time = datetime.fromisoformat(event["Records"][0]["eventTime"].replace("Z", "+00:00"))
    assert abs(job["s3_purge_at"] - (event_time + timedelta(days=30))) < timedelta(seconds=1)
    [message] = ocr.messages()
    body = AttemptReprocess.model_validate_json(message["Body"])
    assert (body.attempt_id, body.latex_steps, body.provider, body.confidence, body.trace_id) == (
        "att-1", ["352 - 127", "= 225"], "gemini", 0.92, "trace-photo-1")
    assert body.guide_submission_id is None and body.alignment_summary is None
    assert message["MessageAttributes"]["trace_id"]["StringValue"] == "trace-photo-1"
    [cost] = db.fetch_all("SELECT worker, model, cost_usd, trace_id FROM cost_events")
    assert cost == {"worker": "ocr_worker", "model": "gemini-2.5-flash", "cost_usd": 0.0, "trace_id": "trace-photo-1"}


def test_the_same_object_twice_is_one_job_and_one_message(ocr, gemini_fake):
    event = ocr.upload()
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    ocr.run(event)
    before = ocr.job(event)
    assert ocr.run(event)["results"][0]["status"] == "skipped"
    assert len(gemini_fake.requests) == 1 and len(ocr.messages()) == 1
    assert ocr.job(event) == before


def test_a_new_version_of_the_object_is_read_again(ocr, gemini_fake, aws, bucket):
    first = ocr.upload()
    key = first["Records"][0]["s3"]["object"]["key"].replace("%2F", "/")
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)), gemini_fake.json_reply(steps(0.95, "1 + 1 = 2", answer="2")))
    ocr.run(first)
    second = ocr.upload(samples.png(), key=key)
    assert second["Records"][0]["s3"]["object"]["eTag"] != first["Records"][0]["s3"]["object"]["eTag"]
    assert ocr.run(second)["results"][0]["status"] == "completed"
    assert [AttemptReprocess.model_validate_json(m["Body"]).latex_steps for m in ocr.messages()] == [
        ["352 - 127", "= 225"], ["1 + 1 = 2"]]
    assert ocr.job(second)["ocr_result"]["final_answer"] == "2"
    assert ocr.store.db.fetch_value("SELECT count(*) FROM ocr_jobs") == 1


def test_low_confidence_asks_claude_and_keeps_the_better_reading(ocr, gemini_fake, anthropic_fake, db):
    event = ocr.upload()
    gemini_fake.script(gemini_fake.json_reply(steps(0.55)))
    anthropic_fake.script(anthropic_fake.tool_use("extract_math_steps", steps(0.85, "352 - 127 = 235", answer="235")))
    ocr.run(event)
    job = ocr.job(event)
    assert (job["status"], job["used_fallback"], job["fallback_provider"]) == ("completed", True, "claude")
    assert job["ocr_result"]["final_answer"] == "235" and job["cost_estimated_usd"] > 0
    assert AttemptReprocess.model_validate_json(ocr.messages()[0]["Body"]).provider == "claude"
    assert [row["model"] for row in db.fetch_all("SELECT model FROM cost_events ORDER BY created_at, ctid")] == [
        "gemini-2.5-flash", "claude-haiku-4-5-20251001"]


@pytest.mark.parametrize("gemini_reading, claude_reading, fallback", [
    (steps(0.45), steps(0.3), "claude"),  # Claude asked (< 0.7) but not better; kept 0.45 < 0.5: review
    ({**steps(0.95), "latex_steps": []}, None, None),  # confident but no steps at all: review
])
def test_doubtful_readings_are_kept_for_review_without_a_message(ocr, gemini_fake, anthropic_fake, gemini_reading,
                                                                 claude_reading, fallback):
    event = ocr.upload()
    gemini_fake.script(gemini_fake.json_reply(gemini_reading))
    if claude_reading:
        anthropic_fake.script(anthropic_fake.tool_use("extract_math_steps", claude_reading))
    ocr.run(event)
    job = ocr.job(event)
    assert job["status"] == "low_confidence_review" and job["fallback_provider"] == fallback
    assert ocr.messages() == []
    assert ocr.run(event)["results"][0]["status"] == "skipped"  # kept for a teacher, not retried


def test_without_an_attempt_the_job_completes_without_a_message(ocr, gemini_fake):
    event = ocr.upload(attempt_id=None, trace_id="")
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    ocr.run(event)
    job = ocr.job(event)
    assert job["status"] == "completed" and job["attempt_id"] is None
    assert str(uuid.UUID(job["trace_id"])) == job["trace_id"]  # a fresh trace when the upload had none
    assert ocr.messages() == []


def test_other_keys_and_test_events_are_ignored(ocr, gemini_fake, aws, bucket):
    event = ocr.upload(key="elsewhere/notes.txt")
    assert ocr.run(event)["results"] == [{"key": "elsewhere/notes.txt", "status": "ignored"}]
    # S3 sends its test event to queues, never to Lambda (chalice could not even build it); the module
    # still shrugs it off should a local event pump forward one.
    from chalicelib.workers import ocr_transcriber
    assert ocr_transcriber.handle({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket}) == {"results": []}
    assert gemini_fake.requests == []


@pytest.mark.parametrize("body, reason", [(samples.jpeg()[:250], "corrupt"), (b"hello", "unsupported_type")])
def test_a_bad_image_fails_its_job_without_a_provider_call_or_a_retry(ocr, gemini_fake, anthropic_fake, body, reason):
    event = ocr.upload(body)
    result = ocr.run(event)  # returns normally: a bad photo is permanent
    job = ocr.job(event)
    assert result["results"][0]["status"] == "failed" == job["status"]
    assert job["error_message"].startswith(f"invalid_image ({reason})")
    assert gemini_fake.requests == [] and anthropic_fake.requests == [] and ocr.messages() == []


def test_an_oversized_object_is_refused_from_its_event(ocr, gemini_fake):
    event = ocr.upload()
    event["Records"][0]["s3"]["object"]["size"] = 6 * 1024 * 1024
    ocr.run(event)
    assert ocr.job(event)["status"] == "failed" and "too_large" in ocr.job(event)["error_message"]


def test_paused_fails_the_job_without_a_call_and_a_copy_onto_itself_resumes_it(ocr, gemini_fake, ai_switches):
    ai_switches.set("OCR_PAUSED", True)
    event = ocr.upload()
    ocr.run(event)
    job = ocr.job(event)
    assert (job["status"], job["error_message"]) == ("failed", "paused_due_to_cost")
    assert gemini_fake.requests == []
    ai_switches.set("OCR_PAUSED", False)
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    ocr.run(event)  # a failed job is processed again (the operator's re-trigger)
    assert ocr.job(event)["status"] == "completed" and "error_message" not in ocr.job(event)


def test_transient_provider_failures_raise_for_lambdas_retry(ocr, gemini_fake, anthropic_fake):
    event = ocr.upload()
    gemini_fake.script(gemini_fake.error(503))
    anthropic_fake.script(anthropic_fake.error(500))
    with pytest.raises(Exception) as failure:
        ocr.run(event)
    assert "ocr_providers_failed" in str(failure.value)
    job = ocr.job(event)
    assert job["status"] == "failed" and job["error_message"] == "ocr_providers_failed: gemini: server_error; claude: server_error"
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    assert ocr.run(event)["results"][0]["status"] == "completed"  # the retry resumes the failed job
    assert len(ocr.messages()) == 1


def test_no_configured_provider_fails_without_a_retry(ocr, gemini_fake, anthropic_fake, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    dependencies.reset()
    event = ocr.upload()
    ocr.run(event)
    job = ocr.job(event)
    assert job["status"] == "failed" and job["error_message"].startswith("provider_unconfigured")
    assert gemini_fake.requests == [] and anthropic_fake.requests == []


def test_a_fresh_pending_job_is_left_alone_and_a_stale_one_resumed(ocr, gemini_fake, db):
    event = ocr.upload()
    upload_id = upload_id_of(event)
    ocr.store.upsert_ocr_job(upload_id, {"status": "pending", "student_id": ocr.student, "trace_id": "t",
                                         "s3_key": "k", "primary_provider": "gemini",
                                         "s3_version": event["Records"][0]["s3"]["object"]["eTag"]})
    assert ocr.run(event)["results"][0]["status"] == "skipped" and gemini_fake.requests == []
    db.execute("UPDATE ocr_jobs SET updated_at = now() - interval '3 minutes'")
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    assert ocr.run(event)["results"][0]["status"] == "completed"


def test_the_photo_upload_url_and_the_worker_together(api, tokens, ocr, gemini_fake, db, school):
    """The API's presigned PUT (with its signed metadata headers) is what the worker reads back."""
    db.execute("INSERT INTO attempts (id, student_id, is_correct) VALUES ('att-77', :s, false)", {"s": ocr.student})
    headers = {**tokens.headers(**school.students[0].claims), "x-trace-id": "trace-from-api"}
    data = api.post("/attempts/photo-upload-url", headers=headers, body=json.dumps({"attemptId": "att-77"})).json_body["data"]
    request = urllib.request.Request(data["presignedUrl"], data=samples.jpeg(), method="PUT", headers=data["uploadHeaders"])
    urllib.request.urlopen(request).close()  # noqa: S310 - local moto endpoint
    event = ocr.next_event()
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    ocr.run(event)
    job = ocr.job(event)
    assert (job["upload_id"], job["attempt_id"], job["trace_id"], job["status"]) == (
        data["uploadId"], "att-77", "trace-from-api", "completed")
    body = AttemptReprocess.model_validate_json(ocr.messages()[0]["Body"])
    assert (body.attempt_id, body.trace_id) == ("att-77", "trace-from-api")


def test_a_transient_failure_of_one_record_does_not_stop_the_others(ocr, gemini_fake, aws, bucket):
    lost, fine = ocr.upload(), ocr.upload()
    aws.client("s3").delete_object(Bucket=bucket, Key=lost["Records"][0]["s3"]["object"]["key"].replace("%2F", "/"))
    gemini_fake.script(gemini_fake.json_reply(steps(0.9)))
    with pytest.raises(Exception) as failure:
        ocr.run({"Records": lost["Records"] + fine["Records"]})
    assert "cannot read" in str(failure.value)  # raised after every record was tried: Lambda retries the event
    assert ocr.job(fine)["status"] == "completed" and len(ocr.messages()) == 1
