"""telemetryWorker through the real handler (``app.telemetry_worker``) on the embedded PostgreSQL
(and on the MongoDB adapter over mongomock), with the moto S3 lake for archival."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import mongomock
import pytest

from chalicelib import dependencies
from chalicelib.documents.mongo_store import MongoDocumentStore
from chalicelib.documents.postgres_store import PostgresDocumentStore
from chalicelib.messaging.messages import AttemptTelemetry, KeystrokeEvent
from chalicelib.services import telemetry_service
from chalicelib.services.telemetry_service import TelemetryInput
from tests.workers.conftest import (
    FakeLambdaContext, failed_ids, redeliveries, sqs_event, sqs_record,
)

HANDLER = "telemetry_worker"


def telemetry(attempt_id: str, *, student: str | None = "student-1", events: list | None = None, **extra) -> dict:
    body = {"attemptId": attempt_id, "traceId": f"trace-{attempt_id}",
            "rawSteps": [{"expression": "12-5", "isFinal": False}, {"expression": "7", "isFinal": True}],
            **({"studentId": student} if student else {}), **extra}
    if events is not None:
        body["events"] = events
    return body


def record(body, group: str = "student-1", **kwargs) -> dict:
    attempt = body.get("attemptId") if isinstance(body, dict) else None
    return sqs_record(body, group_id=group, deduplication_id=attempt, **kwargs)


@pytest.fixture(params=["postgres", "mongomock"])
def store(request, database_url, monkeypatch):
    """The store the handler writes to: the default JSONB tables, or MongoDB (mongomock)."""
    if request.param == "postgres":
        return PostgresDocumentStore(request.getfixturevalue("db"))
    mongo = MongoDocumentStore(mongomock.MongoClient(tz_aware=True)["innova"])
    monkeypatch.setattr(dependencies, "document_store", lambda: mongo)
    return mongo


# -- persisting ---------------------------------------------------------------------------------

def test_batch_becomes_one_document_per_attempt(lambda_client, store):
    events = [{"t": 1000, "type": "key_down", "payload": {"column": "units", "value": "7"}},
              {"t": 1200, "type": "hint_request"},
              {"t": 1300, "type": "paste", "payload": {}},
              {"t": 1500, "type": "undo", "payload": {}},
              {"t": 4000, "type": "submit", "payload": {}},
              {"t": -5, "type": "key_down"},  # invalid: dropped
              {"type": "key_down"}]  # invalid: dropped
    batch = [record(telemetry("a-1", events=events, courseId="course-1")),
             record(telemetry("a-2", student=None), group="student-2"),
             record(telemetry("a-3", classroomId="course-legacy"), group="student-2")]
    response = lambda_client.invoke(HANDLER, sqs_event(batch)).payload
    assert response == {"batchItemFailures": []}

    first = store.find_attempt_events("a-1")
    assert first["student_id"] == "student-1" and first["classroom_id"] == "course-1"
    assert first["trace_id"] == "trace-a-1"
    assert [e["type"] for e in first["events"]] == ["key_down", "hint_request", "paste", "undo", "submit"]
    assert first["events"][1] == {"t": 1200, "type": "hint_request", "payload": {}}
    assert first["summary"] == {"total_events": 5, "duration_ms": 3000, "hints_used": 1, "undo_count": 1,
                                "paste_count": 1}
    assert first["raw_steps"] == [{"expression": "12-5", "isFinal": False}, {"expression": "7", "isFinal": True}]
    assert first["archived_to_s3_at"] is None

    second = store.find_attempt_events("a-2")
    assert second["student_id"] == "student-2"  # MessageGroupId fallback
    assert second["classroom_id"] == "" and second["events"] == []
    assert second["summary"] == {"total_events": 0, "duration_ms": 0, "hints_used": 0, "undo_count": 0,
                                 "paste_count": 0}
    assert store.find_attempt_events("a-3")["classroom_id"] == "course-legacy"


def test_client_supplied_summary_is_ignored(lambda_client, store):
    body = telemetry("a-1", events=[{"t": 5, "type": "submit", "payload": {}}],
                     summary={"total_events": 99, "duration_ms": 1})
    lambda_client.invoke(HANDLER, sqs_event([record(body)]))
    assert store.find_attempt_events("a-1")["summary"]["total_events"] == 1


def test_poison_messages_fail_alone_and_block_only_their_group(lambda_client, store):
    not_json = record("{not json", group="g-bad")
    no_attempt = record({"traceId": "t", "rawSteps": []}, group="g-other")
    no_trace = record({"attemptId": "a-x", "rawSteps": []}, group="g-third")
    behind_poison = record(telemetry("a-behind"), group="g-bad")
    events_not_array = record(telemetry("a-weird", events="lots"), group="g-fourth")
    good = [record(telemetry("a-1"), group="g-1"), record(telemetry("a-2"), group="g-2")]
    batch = [good[0], not_json, no_attempt, behind_poison, no_trace, events_not_array, good[1]]

    response = lambda_client.invoke(HANDLER, sqs_event(batch)).payload

    assert failed_ids(response) == [r["messageId"] for r in
                                    (not_json, no_attempt, behind_poison, no_trace, events_not_array)]
    assert store.find_attempt_events("a-1") and store.find_attempt_events("a-2")
    assert store.find_attempt_events("a-behind") is None  # not processed: FIFO order of g-bad kept
    assert store.find_attempt_events("a-x") is None and store.find_attempt_events("a-weird") is None


def test_redelivery_three_times_in_shuffled_order_stores_each_attempt_once(lambda_client, store, db):
    originals = [record(telemetry(f"a-{i}", events=[{"t": i, "type": "submit", "payload": {"n": i}}]),
                        group=f"student-{i % 3}") for i in range(12)]
    for batch in redeliveries(originals, times=3):
        assert lambda_client.invoke(HANDLER, sqs_event(batch)).payload == {"batchItemFailures": []}
    for i in range(12):
        document = store.find_attempt_events(f"a-{i}")
        assert document["events"] == [{"t": i, "type": "submit", "payload": {"n": i}}]
    if isinstance(store, PostgresDocumentStore):
        assert db.fetch_value("SELECT count(*) FROM attempt_events") == 12
    else:
        assert store._database["attempt_events"].count_documents({}) == 12


def test_database_dropped_mid_run_fails_every_record_and_writes_nothing(lambda_client, db, database_outage):
    store = PostgresDocumentStore(db)
    lambda_client.invoke(HANDLER, sqs_event([record(telemetry("warm-up"))]))  # the worker's connection is open

    database_outage()
    batch = [record(telemetry(f"a-{i}"), group=f"g-{i}") for i in range(4)]
    response = lambda_client.invoke(HANDLER, sqs_event(batch)).payload
    assert sorted(failed_ids(response)) == sorted(r["messageId"] for r in batch)

    database_outage.end()
    assert [store.find_attempt_events(f"a-{i}") for i in range(4)] == [None] * 4
    # SQS delivers the failed records again: now they are stored, once.
    assert lambda_client.invoke(HANDLER, sqs_event(batch)).payload == {"batchItemFailures": []}
    assert db.fetch_value("SELECT count(*) FROM attempt_events WHERE document->>'attempt_id' LIKE 'a-%'") == 4


def test_logs_carry_the_trace_id_of_each_record(lambda_client, store, capsys):
    batch = [record(telemetry("a-1")), record("garbage", group="g-2", trace_id="attribute-trace")]
    lambda_client.invoke(HANDLER, sqs_event(batch))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    stored = [line for line in lines if line["message"].startswith("attempt events stored")]
    assert stored and stored[0]["trace_id"] == "trace-a-1" and stored[0]["attempt_id"] == "a-1"
    failed = [line for line in lines if line["message"].startswith("record failed")]
    assert failed and failed[0]["trace_id"] == "attribute-trace"
    assert failed[0]["message_id"] == batch[1]["messageId"] and failed[0]["body_length"] == len("garbage")


def test_without_any_store_setting_the_function_cannot_start(lambda_client, monkeypatch):
    from chalicelib.settings import MissingSettingError

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    dependencies.reset()
    with pytest.raises(MissingSettingError, match="DATABASE_URL"):
        lambda_client.invoke(HANDLER, sqs_event([record(telemetry("a-1"))]))


# -- archival -----------------------------------------------------------------------------------

NOW = datetime.now(timezone.utc)


def seed(store, attempt_id: str, days_old: float) -> None:
    item = TelemetryInput(message=AttemptTelemetry(attemptId=attempt_id, traceId="t", rawSteps=[], studentId="s-1"),
                          events=(KeystrokeEvent(t=1, type="key_down", payload={"value": "4"}),
                                  KeystrokeEvent(t=9, type="submit")))
    telemetry_service.persist_attempt_events(store, [item], now=NOW - timedelta(days=days_old))


def lake_objects(aws) -> dict[str, dict]:
    s3 = aws.client("s3")
    bucket = aws.bucket_names["raw_events"]
    listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listing}


def test_handler_archives_old_documents_to_the_lake(app_module, store, aws, monkeypatch):
    monkeypatch.setenv("TELEMETRY_ARCHIVE_BATCH", "2")
    dependencies.reset()
    for attempt_id, age in (("old-1", 45), ("old-2", 31), ("old-3", 40), ("fresh", 29)):
        seed(store, attempt_id, age)

    response = app_module.telemetry_worker(sqs_event([record(telemetry("new"))]), FakeLambdaContext(60_000))
    assert response == {"batchItemFailures": []}

    objects = lake_objects(aws)
    day = lambda age: (NOW - timedelta(days=age)).strftime("%Y/%m/%d")  # noqa: E731
    assert set(objects) == {f"attempt_events/{day(45)}/old-1.json", f"attempt_events/{day(40)}/old-3.json"}
    copy = objects[f"attempt_events/{day(45)}/old-1.json"]
    original = store.find_attempt_events("old-1")
    assert copy["_id"] == original["_id"] and copy["attempt_id"] == "old-1"
    assert copy["events"] == [{"t": 1, "type": "key_down", "payload": {"value": "4"}},
                              {"t": 9, "type": "submit", "payload": {}}]
    assert copy["createdAt"].endswith("Z") and copy["archived_to_s3_at"] is None
    assert original["events"] == [] and original["archived_to_s3_at"] is not None
    assert original["summary"]["total_events"] == 2
    assert store.find_attempt_events("old-2")["archived_to_s3_at"] is None  # beyond this run's bound
    assert store.find_attempt_events("fresh")["events"]

    app_module.telemetry_worker(sqs_event([]), FakeLambdaContext(60_000))  # the next run takes the rest
    assert f"attempt_events/{day(31)}/old-2.json" in lake_objects(aws)
    assert store.find_attempt_events("fresh")["archived_to_s3_at"] is None


def test_archival_waits_when_less_than_15_seconds_remain(app_module, store, aws):
    seed(store, "old", 60)
    app_module.telemetry_worker(sqs_event([record(telemetry("new"))]), FakeLambdaContext(14_000))
    assert lake_objects(aws) == {}
    assert store.find_attempt_events("new") is not None


class CrashAfterUpload:
    """The store, except that marking a document archived crashes once (a Lambda killed mid-way)."""

    def __init__(self, store):
        self._store, self.crashes = store, 1

    def __getattr__(self, name):
        return getattr(self._store, name)

    def mark_attempt_events_archived(self, document_id, archived_at):
        if self.crashes:
            self.crashes -= 1
            raise ConnectionError("connection reset")
        return self._store.mark_attempt_events_archived(document_id, archived_at)


def test_crash_between_upload_and_update_re_archives_the_same_key(store, aws):
    from chalicelib.messaging.s3_storage import S3Storage

    seed(store, "old", 40)
    crashing, bucket = CrashAfterUpload(store), aws.bucket_names["raw_events"]
    first = telemetry_service.archive_attempt_events(crashing, S3Storage(), bucket, after_days=30, limit=10)
    assert first.failed == 1 and first.count == 0
    assert store.find_attempt_events("old")["events"]  # nothing lost: the events are still in the store
    second = telemetry_service.archive_attempt_events(crashing, S3Storage(), bucket, after_days=30, limit=10)
    assert second.count == 1
    objects = lake_objects(aws)
    assert len(objects) == 1 and list(objects.values())[0]["events"][0]["payload"] == {"value": "4"}
    assert store.find_attempt_events("old")["events"] == []


def test_archival_is_skipped_without_a_lake_bucket(app_module, store, aws, monkeypatch):
    monkeypatch.delenv("S3_RAW_EVENTS_BUCKET")
    dependencies.reset()
    seed(store, "old", 60)
    app_module.telemetry_worker(sqs_event([]), FakeLambdaContext(60_000))
    assert store.find_attempt_events("old")["archived_to_s3_at"] is None


def test_archive_command_drains_in_bounded_batches(database_url, db, aws, monkeypatch, capsys):
    from chalicelib import cli

    monkeypatch.setenv("TELEMETRY_ARCHIVE_BATCH", "2")
    monkeypatch.delenv("MONGODB_URI", raising=False)
    dependencies.reset()
    store = PostgresDocumentStore(db)
    for i in range(5):
        seed(store, f"old-{i}", 40 + i)
    assert cli.main(["archive-telemetry"]) == 0
    assert "archived 2 " in capsys.readouterr().out
    assert cli.main(["archive-telemetry", "--all"]) == 0
    assert "archived 3 " in capsys.readouterr().out
    assert len(lake_objects(aws)) == 5
    assert store.attempt_events_to_archive(NOW, 10) == []


def test_a_document_needs_a_student_id(store):
    # Building a document without any student id is refused rather than stored half-empty.
    item = TelemetryInput(message=AttemptTelemetry(attemptId=str(uuid.uuid4()), traceId="t", rawSteps=[]))
    with pytest.raises(ValueError):
        telemetry_service.persist_attempt_events(store, [item])
