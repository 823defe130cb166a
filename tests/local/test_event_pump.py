"""The event pump against the real moto server: Lambda-shaped events, batching, partial-batch
deletes, redelivery and DLQs, S3 and scheduled events — with a test Chalice app as the handlers."""
from __future__ import annotations

import hashlib
import json
import threading
import uuid
from datetime import datetime, timezone

import pytest

from chalicelib.local.aws_provisioning import provision
from chalicelib.local.event_pump import (
    ACCOUNT_ID, AsyncEventSource, EventPump, FunctionInvoker, InvalidBatchResponse, LambdaContext, ScheduleClock,
    SqsEventSource, failed_message_ids, lambda_message_attributes, s3_event_from_notification,
    schedule_period_seconds, scheduled_event, send_scheduled_event,
)
from chalicelib.resources import FUNCTIONS, QUEUES
from tests.local.conftest import queue_counts, schedule_function, sqs_function
from tests.polling import wait_until


def send(sqs, url: str, bodies, **extra) -> list[str]:
    return [sqs.send_message(QueueUrl=url, MessageBody=body, **extra)["MessageId"] for body in bodies]


def source_for(handler_app, sqs, queue, **kwargs) -> SqsEventSource:
    function = sqs_function(**{k: kwargs.pop(k) for k in ("batch_size", "window", "report") if k in kwargs})
    return SqsEventSource(FunctionInvoker(function, handler_app.sqs_handler, "test"), sqs, queue.url, queue.arn,
                          batch_size=function.trigger.batch_size,
                          batching_window_seconds=function.trigger.max_batching_window_seconds,
                          report_batch_item_failures=function.trigger.report_batch_item_failures, **kwargs)


def records(call) -> list[dict]:
    return call.to_dict()["Records"]


def fail_bodies(*bodies):
    """A behaviour reporting the records with these bodies as failed."""
    return lambda event: {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records(event)
                                                if r["body"] in bodies]}


# -- event shapes --------------------------------------------------------------------------------------

def test_sqs_event_has_the_lambda_shape_and_context(handler_app, sqs, make_queue):
    queue = make_queue()
    sent = send(sqs, queue.url, ["one", "two"],
                MessageAttributes={"trace_id": {"DataType": "String", "StringValue": "trace-1"}})
    result = source_for(handler_app, sqs, queue).poll_once()

    assert result is not None and result.invocation.ok and result.failed_ids == set()
    [call] = handler_app.calls["sqs"]
    event = records(call)
    assert sorted(r["messageId"] for r in event) == sorted(sent)
    for record in event:
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queue.arn
        assert record["awsRegion"] == "us-east-1" and record["receiptHandle"]
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
        assert record["messageAttributes"] == {"trace_id": {
            "stringValue": "trace-1", "stringListValues": [], "binaryListValues": [], "dataType": "String"}}
    assert sorted(r.body for r in call) == ["one", "two"]  # Chalice's SQSEvent over the raw dict
    context = call.context
    assert context.function_name == "innova-backend-serverless-test-testWorker"
    assert context.memory_limit_in_mb == 128 and context.function_version == "$LATEST"
    assert context.invoked_function_arn == f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{context.function_name}"
    assert 0 < context.get_remaining_time_in_millis() <= 5000
    assert context.aws_request_id == result.invocation.request_id
    assert queue_counts(sqs, queue.url) == (0, 0)


def test_fifo_records_carry_group_deduplication_id_and_sequence_number(handler_app, sqs, make_queue):
    queue = make_queue(fifo=True)
    for n in range(3):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"a{n}", MessageGroupId="student-a",
                         MessageDeduplicationId=f"attempt-{n}")
    source_for(handler_app, sqs, queue).poll_once()

    event = records(handler_app.calls["sqs"][0])
    assert [r["body"] for r in event] == ["a0", "a1", "a2"]  # group order kept
    assert [r["attributes"]["MessageDeduplicationId"] for r in event] == ["attempt-0", "attempt-1", "attempt-2"]
    assert all(r["attributes"]["MessageGroupId"] == "student-a" for r in event)
    # moto draws sequence numbers at random (AWS's grow within a group): only their presence is checked.
    assert all(r["attributes"]["SequenceNumber"].isdigit() for r in event)


def test_message_attributes_are_converted_to_lambdas_lowercase_format():
    converted = lambda_message_attributes({
        "trace_id": {"DataType": "String", "StringValue": "t"},
        "count": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
    })
    assert converted["trace_id"] == {"stringValue": "t", "stringListValues": [], "binaryListValues": [],
                                     "dataType": "String"}
    assert converted["count"]["stringValue"] == "3" and converted["count"]["dataType"] == "Number"
    assert converted["blob"]["binaryValue"] == "AQI=" and "stringValue" not in converted["blob"]


def test_s3_notification_becomes_the_event_lambda_delivers():
    body = json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "c", "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
               "object": {"key": "uploads%2Fstudent+1%2Fphoto%3D1.jpg", "size": 3, "eTag": "e"}}}]})
    [record] = s3_event_from_notification(body)["Records"]
    assert record["s3"]["object"]["key"] == "uploads/student+1/photo%3D1.jpg"  # as S3 encodes it
    assert record["s3"]["object"]["size"] == 3 and record["s3"]["object"]["sequencer"]
    assert record["s3"]["bucket"]["ownerIdentity"]["principalId"]
    assert record["userIdentity"]["principalId"] and record["requestParameters"]["sourceIPAddress"]
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert s3_event_from_notification(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent",
                                                  "Bucket": "b"})) is None
    with pytest.raises(ValueError):
        s3_event_from_notification("not json")


def test_scheduled_event_has_the_eventbridge_shape():
    function = FUNCTIONS["alertGenerator"]
    event = scheduled_event(function, "dev", now=datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc))
    assert event == {
        "version": "0", "id": event["id"], "detail-type": "Scheduled Event", "source": "aws.events",
        "account": ACCOUNT_ID, "time": "2026-03-01T12:00:05Z", "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/innova-backend-serverless-dev-alertGenerator"],
        "detail": {},
    }
    assert str(uuid.UUID(event["id"])) == event["id"]


@pytest.mark.parametrize(("expression", "seconds"), [
    ("rate(1 hour)", 3600), ("rate(5 minutes)", 300), ("rate(2 days)", 172800), ("rate(1 minute)", 60)])
def test_rate_expressions(expression, seconds):
    assert schedule_period_seconds(expression) == seconds


@pytest.mark.parametrize("expression", ["cron(0 * * * ? *)", "rate(0 hours)", "rate(1 fortnight)", "hourly"])
def test_unsupported_schedule_expressions_are_refused(expression):
    with pytest.raises(ValueError):
        schedule_period_seconds(expression)


def test_lambda_context_counts_down_and_never_goes_negative():
    function = sqs_function(timeout=1)
    context = LambdaContext(function, "dev")
    assert isinstance(context.get_remaining_time_in_millis(), int)
    assert 0 < context.get_remaining_time_in_millis() <= 1000
    assert context.log_group_name == "/aws/lambda/innova-backend-serverless-dev-testWorker"
    context._start_time -= 5000  # five seconds later
    assert context.get_remaining_time_in_millis() == 0


# -- batching ------------------------------------------------------------------------------------------

def test_without_a_window_each_invocation_takes_at_most_the_batch_size(handler_app, sqs, make_queue):
    queue = make_queue()
    send(sqs, queue.url, [f"m{n}" for n in range(7)])
    source = source_for(handler_app, sqs, queue, batch_size=3)
    while source.poll_once():
        pass
    sizes = [len(records(call)) for call in handler_app.calls["sqs"]]
    assert sizes == [3, 3, 1]
    assert sorted(r["body"] for call in handler_app.calls["sqs"] for r in records(call)) == [f"m{n}" for n in range(7)]


def test_a_batching_window_gathers_more_than_one_receive(handler_app, sqs, make_queue):
    queue = make_queue(visibility=30)
    send(sqs, queue.url, [f"m{n}" for n in range(25)])
    source = source_for(handler_app, sqs, queue, batch_size=20, window=1)
    source.poll_once()
    source.poll_once()
    assert [len(records(call)) for call in handler_app.calls["sqs"]] == [20, 5]
    ids = [r["messageId"] for call in handler_app.calls["sqs"] for r in records(call)]
    assert len(set(ids)) == 25


def test_the_window_collects_messages_that_arrive_while_it_is_open(handler_app, sqs, make_queue):
    queue = make_queue(visibility=30)
    send(sqs, queue.url, ["early"])
    source = source_for(handler_app, sqs, queue, batch_size=20, window=2)
    late = threading.Timer(0.3, lambda: send(sqs, queue.url, ["late"]))
    late.start()
    source.poll_once()
    late.join()
    assert sorted(r["body"] for r in records(handler_app.calls["sqs"][0])) == ["early", "late"]


def test_an_empty_queue_invokes_nothing(handler_app, sqs, make_queue):
    assert source_for(handler_app, sqs, make_queue()).poll_once() is None
    assert handler_app.calls["sqs"] == []


# -- partial batch responses, redelivery, DLQ -------------------------------------------------------------

def test_only_records_not_listed_as_failed_are_deleted(handler_app, sqs, make_queue):
    queue = make_queue(visibility=1)
    send(sqs, queue.url, ["ok-1", "bad-1", "ok-2", "bad-2", "ok-3"])
    handler_app.behaviour["sqs"] = fail_bodies("bad-1", "bad-2")
    source = source_for(handler_app, sqs, queue)

    first = source.poll_once()
    assert len(first.failed_ids) == 2
    assert queue_counts(sqs, queue.url) == (0, 2)  # the failed two wait for the visibility timeout

    handler_app.behaviour["sqs"] = lambda event: {"batchItemFailures": []}
    second = wait_until(lambda: source.poll_once())
    retried = records(handler_app.calls["sqs"][-1])
    assert sorted(r["body"] for r in retried) == ["bad-1", "bad-2"]
    assert {r["messageId"] for r in retried} == first.failed_ids
    assert all(r["attributes"]["ApproximateReceiveCount"] == "2" for r in retried)
    assert second.failed_ids == set()
    assert queue_counts(sqs, queue.url) == (0, 0)


def test_a_handler_exception_fails_the_whole_batch(handler_app, sqs, make_queue):
    queue = make_queue(visibility=1)
    send(sqs, queue.url, ["a", "b", "c"])

    def explode(event):
        raise RuntimeError("database unreachable")

    handler_app.behaviour["sqs"] = explode
    source = source_for(handler_app, sqs, queue)
    result = source.poll_once()
    assert not result.invocation.ok and "database unreachable" in result.invocation.error
    assert result.failed_ids == set(result.message_ids)

    handler_app.behaviour["sqs"] = lambda event: None
    wait_until(lambda: source.poll_once())
    assert sorted(r["body"] for r in records(handler_app.calls["sqs"][-1])) == ["a", "b", "c"]
    assert queue_counts(sqs, queue.url) == (0, 0)


@pytest.mark.parametrize("response", [
    {"batchItemFailures": [{"itemIdentifier": "not-a-message-of-this-batch"}]},
    {"batchItemFailures": [{"itemIdentifier": ""}]},
    {"batchItemFailures": [{"id": "wrong key"}]},
    "done",
])
def test_an_invalid_partial_batch_response_fails_the_whole_batch(handler_app, sqs, make_queue, response):
    queue = make_queue(visibility=30)
    send(sqs, queue.url, ["a", "b"])
    handler_app.behaviour["sqs"] = lambda event: response
    result = source_for(handler_app, sqs, queue).poll_once()
    assert result.invocation.ok and result.failed_ids == set(result.message_ids)
    assert queue_counts(sqs, queue.url) == (0, 2)


def test_a_result_lambda_cannot_serialise_is_a_function_error(handler_app, sqs, make_queue):
    queue = make_queue(visibility=30)
    send(sqs, queue.url, ["a"])
    handler_app.behaviour["sqs"] = lambda event: {"batchItemFailures": [], "when": object()}
    result = source_for(handler_app, sqs, queue).poll_once()
    assert not result.invocation.ok and result.failed_ids == set(result.message_ids)


def test_without_report_batch_item_failures_the_response_is_ignored(handler_app, sqs, make_queue):
    queue = make_queue()
    send(sqs, queue.url, ["a", "b"])
    handler_app.behaviour["sqs"] = lambda event: {"batchItemFailures": [
        {"itemIdentifier": r["messageId"]} for r in records(event)]}
    result = source_for(handler_app, sqs, queue, report=False).poll_once()
    assert result.failed_ids == set()
    assert queue_counts(sqs, queue.url) == (0, 0)


def test_failed_message_ids_reads_responses_like_lambda():
    batch = ["m1", "m2"]
    for success in (None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}):
        assert failed_message_ids(success, batch) == set()
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "m2"}]}, batch) == {"m2"}
    for invalid in ([], "ok", {"batchItemFailures": "m1"}, {"batchItemFailures": [{"itemIdentifier": None}]},
                    {"batchItemFailures": [{"itemIdentifier": "m3"}]}):
        with pytest.raises(InvalidBatchResponse):
            failed_message_ids(invalid, batch)


def test_a_poison_message_reaches_the_dlq_after_max_receive_count(handler_app, sqs, make_queue):
    queue = make_queue(visibility=1, max_receive=2)
    send(sqs, queue.url, ["good", "poison"])
    handler_app.behaviour["sqs"] = fail_bodies("poison")
    source = source_for(handler_app, sqs, queue)

    def dead_letters():
        source.poll_once()
        return sqs.receive_message(QueueUrl=queue.dlq_url, AttributeNames=["All"]).get("Messages")

    [dead] = wait_until(dead_letters)
    assert dead["Body"] == "poison"
    seen = [(r["body"], r["attributes"]["ApproximateReceiveCount"])
            for call in handler_app.calls["sqs"] for r in records(call)]
    assert sorted(seen) == [("good", "1"), ("poison", "1"), ("poison", "2")]
    assert queue_counts(sqs, queue.url) == (0, 0)


def test_failed_fifo_records_are_redelivered_with_their_group(handler_app, sqs, make_queue):
    queue = make_queue(fifo=True, visibility=1)
    for n in range(2):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"g{n}", MessageGroupId="g", MessageDeduplicationId=f"d{n}")
    handler_app.behaviour["sqs"] = lambda event: {"batchItemFailures": [
        {"itemIdentifier": r["messageId"]} for r in records(event)]}  # what a handler does after g0 fails
    source = source_for(handler_app, sqs, queue)
    source.poll_once()
    handler_app.behaviour["sqs"] = lambda event: None
    wait_until(lambda: queue_counts(sqs, queue.url) == (0, 0) if source.poll_once() else False)
    redelivered = [r for call in handler_app.calls["sqs"][1:] for r in records(call)]
    # moto hands a redelivered group back last message first (AWS keeps the order): compare as sets.
    assert sorted(r["body"] for r in redelivered) == ["g0", "g1"]
    assert all(r["attributes"]["ApproximateReceiveCount"] == "2" for r in redelivered)


# -- the pump with the resources of resources.py ---------------------------------------------------------

@pytest.fixture
def local_aws(moto_endpoint):
    """Every queue and bucket of resources.py plus the local triggers, under a fresh stage."""
    stage = f"p{uuid.uuid4().hex[:8]}"
    return stage, provision(moto_endpoint, stage, visibility_timeout_override=1, local_triggers=True)


def test_the_pump_runs_each_sqs_function_with_its_trigger_and_the_queue_redrive(handler_app, moto_endpoint,
                                                                                 local_aws, sqs):
    """llmClassifierWorker's queue (maxReceiveCount 3) through the pump's threads: a malformed
    message ends in the DLQ after three invocations, a good one is processed once."""
    stage, provisioned = local_aws
    handler_app.behaviour["sqs"] = fail_bodies("not json")
    pump = EventPump({"llmClassifierWorker": handler_app.sqs_handler}, provisioned, endpoint=moto_endpoint,
                     stage=stage, max_batching_window_seconds=0).start()
    try:
        queue_url = provisioned.queue_urls["llm_classify"]
        send(sqs, queue_url, ["not json", json.dumps({"id": "attempt-1"})])
        dlq_url = provisioned.queue_urls["llm_classify_dlq"]
        [dead] = wait_until(lambda: sqs.receive_message(QueueUrl=dlq_url).get("Messages"))
    finally:
        pump.stop()
    assert dead["Body"] == "not json"
    bodies = [r["body"] for call in handler_app.calls["sqs"] for r in records(call)]
    assert bodies.count("not json") == QUEUES["llm_classify"].dlq.max_receive_count == 3
    assert bodies.count(json.dumps({"id": "attempt-1"})) == 1
    context = handler_app.calls["sqs"][0].context
    assert context.function_name == f"innova-backend-serverless-{stage}-llmClassifierWorker"
    assert context.memory_limit_in_mb == 512
    assert records(handler_app.calls["sqs"][0])[0]["eventSourceARN"] == provisioned.queue_arns["llm_classify"]


def test_an_upload_invokes_the_s3_function_with_an_s3_event(handler_app, moto_endpoint, local_aws, sqs):
    stage, provisioned = local_aws
    pump = EventPump({"ocrWorker": handler_app.s3_handler}, provisioned, endpoint=moto_endpoint, stage=stage).start()
    try:
        import boto3

        s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
        bucket = provisioned.bucket_names["ocr_uploads"]
        s3.put_object(Bucket=bucket, Key="uploads/student 1/photo.jpg", Body=b"jpeg bytes", ContentType="image/jpeg")
        wait_until(lambda: handler_app.calls["s3"])
    finally:
        pump.stop()
    [call] = handler_app.calls["s3"]
    [record] = call.to_dict()["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["object"]["key"] == "uploads/student+1/photo.jpg" and record["s3"]["object"]["size"] == 10
    assert (call.bucket, call.key) == (bucket, "uploads/student 1/photo.jpg")  # Chalice's S3Event decodes it
    assert call.context.function_name == f"innova-backend-serverless-{stage}-ocrWorker"
    event_queue = provisioned.queue_urls[provisioned.event_queues["ocrWorker"]]
    assert queue_counts(sqs, event_queue) == (0, 0)  # the s3:TestEvent was dropped, the upload consumed


def test_a_failing_async_invocation_is_retried_twice_then_dead_lettered(handler_app, moto_endpoint, local_aws, sqs):
    stage, provisioned = local_aws
    event_queue = provisioned.event_queues["alertGenerator"]

    def explode(event):
        raise RuntimeError("no database")

    handler_app.behaviour["schedule"] = explode
    source = AsyncEventSource(FunctionInvoker(schedule_function(), handler_app.scheduled_handler, stage), sqs,
                              provisioned.queue_urls[event_queue], to_event=json.loads)
    event = send_scheduled_event(sqs, provisioned.queue_urls[event_queue], FUNCTIONS["alertGenerator"], stage)

    def dead_letters():
        source.poll_once()
        return sqs.receive_message(QueueUrl=provisioned.queue_urls[f"{event_queue}_dlq"]).get("Messages")

    [dead] = wait_until(dead_letters)
    assert json.loads(dead["Body"])["id"] == event["id"]
    assert len(handler_app.calls["schedule"]) == 3  # one attempt and Lambda's two retries


def test_fire_schedule_invokes_the_scheduled_function_with_a_scheduled_event(handler_app, moto_endpoint,
                                                                              local_aws):
    stage, provisioned = local_aws
    handler_app.behaviour["schedule"] = lambda event: {"alerts": 2}
    pump = EventPump({"alertGenerator": handler_app.scheduled_handler}, provisioned, endpoint=moto_endpoint,
                     stage=stage).start()
    try:
        sent = pump.fire_schedule("alertGenerator")
        [call] = wait_until(lambda: handler_app.calls["schedule"])
    finally:
        pump.stop()
    assert call.to_dict() == sent
    assert call.detail_type == "Scheduled Event" and call.source == "aws.events"  # Chalice's CloudWatchEvent
    assert call.resources == [f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/"
                              f"innova-backend-serverless-{stage}-alertGenerator"]
    assert call.context.function_name == f"innova-backend-serverless-{stage}-alertGenerator"


def test_stopping_waits_for_running_invocations_and_starts_no_new_one(handler_app, sqs, make_queue):
    from chalicelib.local.event_pump import InvocationGate, PumpStopped

    gate = InvocationGate()
    queue = make_queue(visibility=30)
    send(sqs, queue.url, ["slow"])
    release, entered = threading.Event(), threading.Event()
    handler_app.behaviour["sqs"] = lambda event: entered.set() or release.wait(30) and None
    source = SqsEventSource(FunctionInvoker(sqs_function(), handler_app.sqs_handler, "test", gate=gate), sqs,
                            queue.url, queue.arn, batch_size=10)
    worker = threading.Thread(target=source.poll_once)
    worker.start()
    entered.wait(30)
    assert gate.close(timeout=0.2) is False  # the invocation is still running
    release.set()
    assert gate.close(timeout=30) is True
    worker.join(30)
    assert queue_counts(sqs, queue.url) == (0, 0)  # it finished and its batch was deleted
    send(sqs, queue.url, ["after stop"])
    with pytest.raises(PumpStopped):
        source.poll_once()
    assert len(handler_app.calls["sqs"]) == 1


def test_the_schedule_clock_fires_once_per_period():
    fired = []
    stop = threading.Event()
    clock = ScheduleClock(0.05, lambda: fired.append(1) or (len(fired) >= 3 and stop.set()))
    thread = threading.Thread(target=clock.run, args=(stop,))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and len(fired) == 3


def test_the_pump_builds_one_source_per_event_function_and_a_clock_per_schedule(handler_app, moto_endpoint,
                                                                               local_aws):
    from chalicelib.local.event_pump import app_handlers

    stage, provisioned = local_aws
    import app as app_module

    handlers = app_handlers(app_module)
    assert set(handlers) == {"telemetryWorker", "llmClassifierWorker", "ocrWorker", "alertGenerator",
                             "attemptReprocessWorker"}
    pump = EventPump(handlers, provisioned, endpoint=moto_endpoint, stage=stage, max_batching_window_seconds=5)
    assert set(pump.sources) == set(handlers) and set(pump.clocks) == {"alertGenerator"}
    llm = pump.sources["llmClassifierWorker"]
    assert (llm.batch_size, llm.batching_window_seconds, llm.max_receive_count) == (20, 5, 3)
    assert llm.retry_delay_seconds == 1  # the runtime's shortened visibility timeout
    assert pump.sources["telemetryWorker"].batch_size == 10
    assert pump.sources["telemetryWorker"].queue_url.endswith(".fifo")
