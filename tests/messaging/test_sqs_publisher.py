"""SqsPublisher against the moto server: bodies, FIFO ids, trace attributes, batching, failures."""
from __future__ import annotations

import json

import pytest

from chalicelib.messaging.messages import AttemptTelemetry, GuideIngest, RawStep
from chalicelib.messaging.sqs_publisher import OutgoingMessage, PublishError, SqsPublisher
from chalicelib.settings import get_settings


@pytest.fixture
def publisher(aws) -> SqsPublisher:
    return SqsPublisher(get_settings())


def test_fifo_message_carries_group_dedup_and_trace(publisher, aws):
    body = AttemptTelemetry(attemptId="a-1", traceId="tr-1", rawSteps=[RawStep(expression="5", isFinal=True)],
                            studentId="s-1")
    assert publisher.publish("attempt_stream", OutgoingMessage(body, "tr-1", group_id="s-1", deduplication_id="a-1"))
    [message] = aws.receive_all("attempt_stream")
    assert json.loads(message["Body"])["attemptId"] == "a-1"
    assert message["Attributes"]["MessageGroupId"] == "s-1"
    assert message["Attributes"]["MessageDeduplicationId"] == "a-1"
    assert message["MessageAttributes"]["trace_id"] == {"StringValue": "tr-1", "DataType": "String"}


def test_same_dedup_id_is_delivered_once(publisher, aws):
    for trace in ("t1", "t2"):
        publisher.publish("attempt_stream", OutgoingMessage({"attemptId": "dup", "traceId": trace, "rawSteps": []},
                                                            trace, group_id="s", deduplication_id="dup"))
    assert len(aws.receive_all("attempt_stream")) == 1


def test_batches_use_one_call_per_ten_messages(publisher, aws):
    messages = [OutgoingMessage(GuideIngest(guide_id=f"g{i}", source_pdf_key="k", course_grade_level=4,
                                            trace_id="t"), "t") for i in range(12)]
    assert publisher.publish_batch("guide_ingest", messages)
    assert publisher.calls == 2
    received = aws.receive_all("guide_ingest")
    assert sorted(json.loads(m["Body"])["guide_id"] for m in received) == sorted(f"g{i}" for i in range(12))


def test_missing_trace_id_is_sent_as_none(publisher, aws):
    publisher.publish("guide_ingest", OutgoingMessage({"x": 1}, None))
    [message] = aws.receive_all("guide_ingest")
    assert message["MessageAttributes"]["trace_id"]["StringValue"] == "none"


def test_unconfigured_queue_is_skipped(monkeypatch, aws):
    monkeypatch.delenv("SQS_GUIDE_INGEST_URL")
    get_settings.cache_clear()
    assert SqsPublisher(get_settings()).publish("guide_ingest", OutgoingMessage({"x": 1}, "t")) is False


def test_sdk_failure_raises_publish_error_and_best_effort_swallows_it(monkeypatch, aws):
    monkeypatch.setenv("SQS_GUIDE_INGEST_URL", aws.queue_urls["guide_ingest"] + "-missing")
    get_settings.cache_clear()
    publisher = SqsPublisher(get_settings())
    with pytest.raises(PublishError):
        publisher.publish("guide_ingest", OutgoingMessage({"x": 1}, "t"))
    assert publisher.publish_best_effort("guide_ingest", OutgoingMessage({"x": 1}, "t")) is False
