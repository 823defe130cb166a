"""End to end: the whole product running locally (``run``), driven over HTTP, S3 and SQS.

Each flow waits for the asynchronous side (event pump → handler → database) with a deadline,
never with a fixed sleep. A flow whose route, worker or AI stub is not on main yet is skipped
with ``waiting for <thing>`` (``handler_implemented`` / ``route_exists`` / ``ai_fakes_available``),
so the file runs fully as soon as they land.
"""
from __future__ import annotations

import json
import os
import signal
import urllib.request
import uuid

import pytest

from chalicelib.local.aws_provisioning import local_event_queues
from chalicelib.resources import BUCKETS, QUEUES
from tests.e2e.conftest import handler_implemented, route_exists
from tests.polling import wait_until

STUDENT_ID = "seed-student-001"
COURSE_ID = "seed-course-001"


def require(condition: bool, thing: str) -> None:
    if not condition:
        pytest.skip(f"waiting for {thing}")


def subtraction_exercise(db) -> dict:
    """The seeded exercise ``53 - 26`` (expected answer 27) and its topic."""
    return db.fetch_one(
        "SELECT e.id AS exercise_id, e.topic_id FROM exercises e JOIN topics t ON t.id = e.topic_id"
        " WHERE t.code = 'T-SUB-BORROW' AND e.content ->> 'prompt' = '53 - 26'")


def post_attempt(runtime, student_answer: float, **extra) -> dict:
    exercise = subtraction_exercise(runtime.db)
    answer = runtime.request("POST", "/attempts", role="student", body={
        "studentId": STUDENT_ID, "topicCode": exercise["topic_id"], "exerciseId": exercise["exercise_id"],
        "courseId": COURSE_ID, "rawSteps": [{"expression": f"53 - 26 = {student_answer:g}", "isFinal": True}],
        "expectedAnswer": 27, "studentAnswer": student_answer, "minuend": 53, "subtrahend": 26, **extra})
    assert answer.status == 201, answer.body
    return answer.body["data"]


def dead_letters(runtime, queue_key: str) -> list[dict]:
    sqs = runtime.client("sqs")
    reply = sqs.receive_message(QueueUrl=runtime.state.queue_urls[queue_key], MaxNumberOfMessages=10,
                                VisibilityTimeout=0, AttributeNames=["All"])
    return reply.get("Messages", [])


# -- the runtime itself --------------------------------------------------------------------------------

def test_the_api_answers_and_the_banner_says_how_to_use_the_runtime(local_runtime):
    health = local_runtime.request("GET", "/health")
    assert health.status == 200 and health.body["data"]["database"] == "ok"
    me = local_runtime.request("GET", "/auth/me", role="student")
    assert me.status == 200 and me.body["data"]["role"] == "student"
    with urllib.request.urlopen(local_runtime.state.api_url + "/docs", timeout=30) as docs:
        assert docs.status == 200 and b"swagger" in docs.read().lower()
    banner = local_runtime.console()
    for expected in (f"API          {local_runtime.state.api_url}", f"Swagger UI   {local_runtime.state.api_url}/docs",
                     f"AWS (moto)   {local_runtime.state.aws_endpoint}", "runtime.jsonl", "Ctrl-C stops"):
        assert expected in banner
    for role in ("teacher", "student", "parent", "admin"):
        assert f"    {role:8s} ey" in banner


def test_every_queue_bucket_and_trigger_is_provisioned_from_resources(local_runtime):
    sqs, s3 = local_runtime.client("sqs"), local_runtime.client("s3")
    stage = local_runtime.state.stage
    for queue in QUEUES.values():
        url = local_runtime.state.queue_urls[queue.key]
        assert url.endswith("/" + queue.name(stage))
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "1"  # the runtime's --visibility-timeout
        if queue.dlq:
            policy = json.loads(attributes["RedrivePolicy"])
            assert policy["maxReceiveCount"] == queue.dlq.max_receive_count
            assert policy["deadLetterTargetArn"] == local_runtime.state.queue_arns[queue.dlq.key]
    for bucket in BUCKETS.values():
        name = local_runtime.state.bucket_names[bucket.key]
        assert name == bucket.name(stage)
        if bucket.cors:
            [rule] = s3.get_bucket_cors(Bucket=name)["CORSRules"]
            assert rule["AllowedMethods"] == list(bucket.cors.methods)
    uploads = local_runtime.state.bucket_names["ocr_uploads"]
    [notification] = s3.get_bucket_notification_configuration(Bucket=uploads)["QueueConfigurations"]
    assert notification["QueueArn"] == local_runtime.state.queue_arns["ocr_worker_events"]
    assert notification["Events"] == ["s3:ObjectCreated:*"]
    status, out = local_runtime.cli("queues")
    assert status == 0
    for key in [*QUEUES, *(q.key for q in local_event_queues())]:
        assert key in out
    ssm = local_runtime.client("ssm")  # created in the background after start-up
    value = wait_until(lambda: _parameter(ssm, "/innova/llm/paused"), 60, what="the killswitch parameters")
    assert value == "false"


def _parameter(ssm, name: str) -> str | None:
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None


def test_a_poison_message_ends_in_the_dlq_after_max_receive_count(local_runtime):
    """A malformed LLM-classify message is a failed item three times (maxReceiveCount 3), then SQS
    moves it to the DLQ; ``queues`` shows it there and ``redrive`` puts it back."""
    poison = f"not json {uuid.uuid4()}"
    sqs = local_runtime.client("sqs")
    sqs.send_message(QueueUrl=local_runtime.state.queue_urls["llm_classify"], MessageBody=poison)
    wait_until(lambda: any(m["Body"] == poison for m in dead_letters(local_runtime, "llm_classify_dlq")),
               90, what="the poison message in llm_classify_dlq",
               details=lambda: local_runtime.logs_of("llmClassifierWorker"))
    status, out = local_runtime.cli("queues")
    assert status == 0 and poison in out
    invocations = [e for e in local_runtime.log_entries()
                   if e.get("function") == "llmClassifierWorker" and e.get("logger") == "chalicelib.local.event_pump"
                   and e.get("message") in ("invocation finished", "batch failed: every record returns to the queue")
                   and e.get("failed", 0) >= 1]
    assert len(invocations) >= QUEUES["llm_classify"].dlq.max_receive_count


# -- the product's flows ---------------------------------------------------------------------------------

def test_a_student_attempt_is_stored_and_its_telemetry_persisted_by_the_worker(local_runtime):
    require(route_exists("POST", "/attempts"), "POST /attempts (branch attempts)")
    require(handler_implemented("telemetry_persister"), "telemetryWorker (branch workers)")
    created = post_attempt(local_runtime, 27, events=[{"t": 0, "type": "keydown", "payload": {"key": "2"}},
                                                      {"t": 350, "type": "keydown", "payload": {"key": "7"}}])
    attempt = local_runtime.db.fetch_one("SELECT student_id, is_correct, status FROM attempts WHERE id = :id",
                                         {"id": created["attemptId"]})
    assert attempt["student_id"] == STUDENT_ID and attempt["is_correct"] is True
    document = wait_until(lambda: local_runtime.db.fetch_one(
        "SELECT document FROM attempt_events WHERE document ->> 'attempt_id' = :id", {"id": created["attemptId"]}),
        60, what="the telemetry document", details=lambda: local_runtime.logs_of("telemetryWorker"))["document"]
    assert document["student_id"] == STUDENT_ID
    assert [event["type"] for event in document["events"]] == ["keydown", "keydown"]


def test_an_unclassified_attempt_is_classified_by_the_llm_worker(local_runtime):
    require(route_exists("POST", "/attempts"), "POST /attempts (branch attempts)")
    require(handler_implemented("llm_classifier"), "llmClassifierWorker (branch ai-workers)")
    require(local_runtime.fake_ai, "the local Anthropic stub tests/fakes/anthropic_server.py (branch ai-workers)")
    created = post_attempt(local_runtime, 1234)
    assert created["errorTagCode"] == "UNCLASSIFIED"
    classified = wait_until(lambda: local_runtime.db.fetch_one(
        "SELECT status, classifier_source, error_tag_id, llm_job_id FROM attempts"
        " WHERE id = :id AND llm_job_id IS NOT NULL", {"id": created["attemptId"]}),
        90, what="the LLM classification", details=lambda: local_runtime.logs_of("llmClassifierWorker"))
    assert classified["classifier_source"] == "LLM" and classified["error_tag_id"]
    job = local_runtime.db.fetch_one("SELECT document FROM llm_classification_jobs WHERE id = :id",
                                     {"id": classified["llm_job_id"]})
    assert job is not None


def test_a_photo_upload_is_transcribed_reprocessed_and_the_attempt_updated(local_runtime):
    require(route_exists("POST", "/attempts"), "POST /attempts (branch attempts)")
    require(route_exists("POST", "/attempts/photo-upload-url"), "POST /attempts/photo-upload-url (branch ai-workers)")
    require(handler_implemented("ocr_transcriber"), "ocrWorker (branch ai-workers)")
    require(handler_implemented("attempt_reprocessor"), "attemptReprocessWorker (branch workers)")
    require(local_runtime.fake_ai, "the local Gemini stub tests/fakes/gemini_server.py (branch ai-workers)")
    created = post_attempt(local_runtime, 33)
    upload = local_runtime.request("POST", "/attempts/photo-upload-url", role="student",
                                   body={"attemptId": created["attemptId"]})
    assert upload.status == 201, upload.body
    from tests.ai.image_samples import jpeg  # a real photo file (CPython's test image)

    photo = jpeg()
    # The URL signs the content type and the attempt metadata: the PUT sends the headers it was given.
    put = urllib.request.Request(upload.body["data"]["presignedUrl"], data=photo, method="PUT",
                                 headers=upload.body["data"]["uploadHeaders"])
    with urllib.request.urlopen(put, timeout=30) as response:
        assert response.status == 200
    reread = wait_until(lambda: local_runtime.db.fetch_one(
        "SELECT ocr_provider, ocr_confidence, status FROM attempts WHERE id = :id AND ocr_provider IS NOT NULL",
        {"id": created["attemptId"]}), 90, what="the OCR re-read of the attempt",
        details=lambda: local_runtime.logs_of("ocrWorker", "attemptReprocessWorker"))
    from tests.fakes.gemini_server import DEFAULT_TRANSCRIPTION  # what the Gemini stub reads in any photo

    assert reread["ocr_provider"] == "gemini" and reread["ocr_confidence"] == DEFAULT_TRANSCRIPTION["overall_confidence"]
    steps = local_runtime.db.fetch_all(
        "SELECT content_latex FROM attempt_steps WHERE attempt_id = :id ORDER BY step_index", {"id": created["attemptId"]})
    assert [s["content_latex"] for s in steps] == DEFAULT_TRANSCRIPTION["latex_steps"]  # replaced the typed ones
    mastery = local_runtime.db.fetch_one(
        "SELECT attempts_count FROM student_topic_mastery WHERE student_id = :s AND topic_id = :t",
        {"s": STUDENT_ID, "t": subtraction_exercise(local_runtime.db)["topic_id"]})
    assert mastery is not None and mastery["attempts_count"] >= 1


def test_the_alert_generator_fired_on_demand_raises_alerts(local_runtime):
    require(handler_implemented("alert_generator"), "alertGenerator (branch workers)")
    db = local_runtime.db
    student = "seed-student-002"
    topics = [row["id"] for row in db.fetch_all(
        "SELECT t.id FROM topics t JOIN units u ON u.id = t.unit_id JOIN curricula c ON c.id = u.curriculum_id"
        " WHERE c.subject_id = 'seed-subject-math' ORDER BY t.id LIMIT 2")]
    with db.transaction():  # a struggling student: two active topics far below mastery
        for topic in topics:
            exercise = db.fetch_value("SELECT id FROM exercises WHERE topic_id = :t ORDER BY id LIMIT 1", {"t": topic})
            db.execute("INSERT INTO attempts (exercise_id, student_id, course_id, is_correct, status)"
                       " VALUES (:e, :s, :c, false, 'CLASSIFIED')", {"e": exercise, "s": student, "c": COURSE_ID})
            db.execute("INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count, last_attempt_at)"
                       " VALUES (:s, :t, 0.12, 1, now()) ON CONFLICT (student_id, topic_id) DO UPDATE SET p_known = 0.12",
                       {"s": student, "t": topic})
    status, out = local_runtime.cli("fire-schedule", "--wait", "--timeout", "90")
    assert status == 0, out
    alert = db.fetch_one("SELECT teacher_id, severity FROM teacher_alerts"
                         " WHERE alert_type = 'AT_RISK_STUDENT' AND student_id = :s AND course_id = :c",
                         {"s": student, "c": COURSE_ID})
    assert alert == {"teacher_id": "seed-teacher-001", "severity": "HIGH"}
    status, out = local_runtime.cli("fire-schedule", "--wait", "--timeout", "90")  # same UTC day: deduplicated
    assert status == 0
    assert db.fetch_value("SELECT count(*) FROM teacher_alerts WHERE alert_type = 'AT_RISK_STUDENT'"
                          " AND student_id = :s", {"s": student}) == 1


def test_without_ai_keys_the_llm_worker_reports_claude_unconfigured_and_dead_letters(runtime_without_ai_keys):
    require(handler_implemented("llm_classifier"), "llmClassifierWorker (branch ai-workers)")
    runtime = runtime_without_ai_keys()
    assert "ANTHROPIC_API_KEY unset" in runtime.console()
    exercise = subtraction_exercise(runtime.db)
    attempt_id = runtime.db.fetch_value(
        "INSERT INTO attempts (exercise_id, student_id, course_id, is_correct, status, final_answer)"
        " VALUES (:e, :s, :c, false, 'PENDING', '1234') RETURNING id",
        {"e": exercise["exercise_id"], "s": STUDENT_ID, "c": COURSE_ID})
    message = {"id": attempt_id, "topic": "T-SUB-BORROW", "problem_statement": "53 - 26 = ?",
               "canonical_solution": "27", "raw_steps": [{"expression": "53 - 26 = 1234", "isFinal": True}],
               "final_answer": "1234", "student_id": STUDENT_ID, "trace_id": str(uuid.uuid4())}
    runtime.client("sqs").send_message(QueueUrl=runtime.state.queue_urls["llm_classify"], MessageBody=json.dumps(message),
                                       MessageAttributes={"trace_id": {"DataType": "String",
                                                                       "StringValue": message["trace_id"]}})
    wait_until(lambda: any(json.loads(m["Body"]).get("id") == attempt_id
                           for m in dead_letters(runtime, "llm_classify_dlq")), 90, what="the message in the DLQ",
               details=lambda: runtime.logs_of("llmClassifierWorker"))
    lines = [e for e in runtime.log_entries() if e.get("function") == "llmClassifierWorker"
             and e.get("trace_id") == message["trace_id"]]
    assert any("unconfigured" in json.dumps(line).lower() for line in lines)
    assert runtime.db.fetch_value("SELECT status FROM attempts WHERE id = :id", {"id": attempt_id}) == "PENDING"
    health = runtime.request("GET", "/health")
    assert health.status == 200  # the rest of the product keeps running


# -- shutdown (last: it stops the module's runtime) ----------------------------------------------------

def test_the_runtime_stops_cleanly_on_sigterm(local_runtime):
    state_file = local_runtime.state_dir / "runtime.json"
    moto_pid = local_runtime.state.moto_pid
    assert state_file.exists() and moto_pid
    local_runtime.process.send_signal(signal.SIGTERM)
    assert local_runtime.process.wait(60) == 0
    assert not state_file.exists()
    wait_until(lambda: not _alive(moto_pid), 10, what="the moto server's exit")
    assert "local runtime stopped" in local_runtime.console()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone in all but name.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False

