"""Fixtures for the local runtime's tests: a test handler app, queues on the session's moto server.

The handler app is a real Chalice app whose handlers are declared with the same decorators as
``app.py`` (``on_sqs_message``, ``on_s3_event``, ``schedule``), so the pump calls them exactly as
Lambda would (``handler(event_dict, context)`` → Chalice event object); each handler records what
it received and does what the test asks.
"""
from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.resources import Function, ScheduleTrigger, SqsTrigger

_counter = itertools.count()


@dataclass
class HandlerApp:
    """A Chalice app with one handler per trigger type; ``behaviour[kind](event)`` decides the result.

    ``calls[kind]`` lists the Chalice event objects each handler received (``event.to_dict()`` is
    the raw event, ``event.context`` the Lambda context).
    """

    app: Any
    sqs_handler: Any = None
    s3_handler: Any = None
    scheduled_handler: Any = None
    calls: dict[str, list[Any]] = field(default_factory=lambda: {"sqs": [], "s3": [], "schedule": []})
    behaviour: dict[str, Callable[[Any], Any]] = field(default_factory=dict)


@pytest.fixture
def handler_app() -> HandlerApp:
    from chalice import Chalice, Rate

    app = Chalice(app_name="pump-test")
    recorder = HandlerApp(app)

    @app.on_sqs_message(queue="any-queue", batch_size=10)
    def sqs_handler(event):
        recorder.calls["sqs"].append(event)
        return recorder.behaviour.get("sqs", lambda _: None)(event)

    @app.on_s3_event(bucket="any-bucket", events=["s3:ObjectCreated:*"])
    def s3_handler(event):
        recorder.calls["s3"].append(event)
        return recorder.behaviour.get("s3", lambda _: None)(event)

    @app.schedule(Rate(1, unit=Rate.HOURS))
    def scheduled_handler(event):
        recorder.calls["schedule"].append(event)
        return recorder.behaviour.get("schedule", lambda _: None)(event)

    recorder.sqs_handler, recorder.s3_handler, recorder.scheduled_handler = sqs_handler, s3_handler, scheduled_handler
    return recorder


def sqs_function(batch_size: int = 10, window: float = 0, timeout: int = 5, report: bool = True) -> Function:
    return Function("testWorker", "sqs_handler", "testWorker", timeout, 128,
                    SqsTrigger("test", batch_size=batch_size, max_batching_window_seconds=int(window),
                               report_batch_item_failures=report))


@dataclass
class PumpQueue:
    url: str
    arn: str
    dlq_url: str | None = None


@pytest.fixture
def sqs(moto_endpoint: str):
    from chalicelib.local.event_pump import sqs_client

    return sqs_client(moto_endpoint)


@pytest.fixture
def make_queue(sqs) -> Callable[..., PumpQueue]:
    """``make_queue(fifo=False, max_receive=None, visibility=1)``: a fresh queue (and DLQ) on moto."""

    def create(*, fifo: bool = False, max_receive: int | None = None, visibility: int = 1) -> PumpQueue:
        base = f"pump-{uuid.uuid4().hex[:8]}-{next(_counter)}"
        suffix = ".fifo" if fifo else ""
        fifo_attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
        dlq_url = None
        attributes = {"VisibilityTimeout": str(visibility), **fifo_attributes}
        if max_receive:
            dlq_url = sqs.create_queue(QueueName=f"{base}-dlq{suffix}", Attributes=fifo_attributes)["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
        url = sqs.create_queue(QueueName=base + suffix, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return PumpQueue(url, arn, dlq_url)

    return create


def queue_counts(sqs, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def schedule_function(timeout: int = 5) -> Function:
    return Function("testSchedule", "scheduled_handler", "testSchedule", timeout, 128, ScheduleTrigger("rate(1 hour)"))
