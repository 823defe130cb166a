"""The event pump: drives the event handlers of ``app.py`` with Lambda's semantics on a laptop.

``chalice local`` serves routes only, and moto has no Lambda service that would run a function when
a message arrives. The pump plays Lambda's part for the five event-triggered functions, reading
each trigger from ``chalicelib/resources.FUNCTIONS`` (the definitions Pulumi deploys):

- **SQS** (:class:`SqsEventSource`, Lambda's event source mapping): long-polls the queue, assembles
  a batch of up to the trigger's batch size within its batching window, invokes the handler with a
  Lambda-shaped SQS event, deletes the records *not* listed in ``batchItemFailures`` and makes the
  failed ones visible again after the queue's visibility timeout, so that SQS's redrive policy moves
  a record to the DLQ after ``maxReceiveCount`` receives. A handler exception, an invalid batch
  response or a result Lambda could not serialise fails the whole batch.
- **S3 and schedule** (:class:`AsyncEventSource`, Lambda's asynchronous invocation): the upload
  bucket notifies a local event queue (``aws_provisioning.local_event_queues``); each notification
  becomes the S3 event Lambda delivers (moto's ``s3:TestEvent`` is dropped, keys are encoded like
  S3's). :class:`ScheduleClock` puts an EventBridge ``Scheduled Event`` on the function's event queue
  at every period of its ``rate(...)`` expression, and ``fire-schedule`` puts one there on demand.
  A failed invocation is retried after the queue's visibility timeout; after three attempts (one +
  Lambda's two retries) the event moves to the event queue's DLQ.

Handlers are called exactly like the Lambda runtime calls them: ``app.<handler>(event_dict, context)``,
the Chalice decorator turning the dict into its event object. One invocation at a time per function
(reserved concurrency 1), each function on its own thread.

While a batch is being assembled and processed its messages are held invisible for the function's
timeout plus its batching window (AWS requires the queue's visibility timeout to cover that); a
failed record is then made visible again after the queue's own visibility timeout, which the local
runtime shortens so that a poison message reaches its DLQ within seconds.
"""
from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from chalice.local import LambdaContext as ChaliceLambdaContext

from chalicelib.local.aws_provisioning import ProvisionedResources
from chalicelib.local.runtime_logs import invocation_scope, set_thread_function
from chalicelib.resources import (
    FUNCTIONS, QUEUES, REGION, Function, HttpTrigger, S3Trigger, ScheduleTrigger, SqsTrigger,
)

log = logging.getLogger(__name__)

ACCOUNT_ID = "123456789012"  # moto's default account: the ARNs it returns carry this id
SQS_MAX_RECEIVE = 10  # ReceiveMessage returns at most 10 messages per call
DEFAULT_POLL_WAIT_SECONDS = 1  # long-poll length; bounds how long a stop request waits


# -- invocation ----------------------------------------------------------------------------------------

class LambdaContext(ChaliceLambdaContext):
    """The context object of one invocation, with the attributes the Lambda Python runtime sets."""

    def __init__(self, function: Function, stage: str, region: str = REGION):
        name = function.name(stage)
        super().__init__(name, function.memory_mb, max_runtime_ms=function.timeout_seconds * 1000)
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        # Lambda returns a whole, never negative, number of milliseconds.
        return max(0, int(super().get_remaining_time_in_millis()))


@dataclass(frozen=True)
class Invocation:
    """What one invocation returned: ``ok`` is False when the handler raised (a function error)."""

    request_id: str
    ok: bool
    response: Any = None
    error: str | None = None
    duration_ms: float = 0.0


class PumpStopped(RuntimeError):
    """The pump is stopping: no new invocation starts."""


class InvocationGate:
    """Counts running invocations so that a stop waits for them, and not for idle long polls."""

    def __init__(self) -> None:
        self._running = 0
        self._closed = False
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def enter(self) -> Iterator[None]:
        with self._changed:
            if self._closed:
                raise PumpStopped("the event pump is stopping")
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def close(self, timeout: float) -> bool:
        """Refuse new invocations; True once the running ones have finished (False on timeout)."""
        with self._changed:
            self._closed = True
            return self._changed.wait_for(lambda: self._running == 0, timeout)


class FunctionInvoker:
    """Calls one function's handler the way the Lambda runtime does, and logs the invocation."""

    def __init__(self, function: Function, handler: Callable[[dict, Any], Any], stage: str, region: str = REGION,
                 gate: InvocationGate | None = None):
        self.function, self.handler, self.stage, self.region = function, handler, stage, region
        self.gate = gate or InvocationGate()

    def invoke(self, event: dict[str, Any], **fields: Any) -> Invocation:
        """Run the handler once (the event sources hold :attr:`gate` around invocation and clean-up)."""
        context = LambdaContext(self.function, self.stage, self.region)
        request_id = context.aws_request_id
        with invocation_scope(self.function.key, request_id):
            log.debug("invocation started", extra=fields)
            started = time.monotonic()
            try:
                response = self.handler(event, context)
                json.dumps(response)  # Lambda serialises the result; one it cannot is a function error
            except Exception as exc:  # noqa: BLE001 - any handler error is a failed invocation
                duration = round((time.monotonic() - started) * 1000, 1)
                error = f"{type(exc).__name__}: {exc}"
                log.error("invocation failed", exc_info=True,
                          extra={**fields, "duration_ms": duration, "error": error})
                return Invocation(request_id, False, None, error, duration)
            duration = round((time.monotonic() - started) * 1000, 1)
            if duration > self.function.timeout_seconds * 1000:
                log.warning("invocation outlived the function's timeout: Lambda would have stopped it and "
                            "retried the whole event", extra={**fields, "duration_ms": duration,
                                                              "timeout_seconds": self.function.timeout_seconds})
            return Invocation(request_id, True, response, None, duration)


# -- SQS ---------------------------------------------------------------------------------------------

def lambda_message_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """SQS API message attributes (``StringValue``) in the shape Lambda delivers (``stringValue``)."""
    converted = {}
    for name, value in (attributes or {}).items():
        item: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            binary = value["BinaryValue"]
            item["binaryValue"] = binary if isinstance(binary, str) else base64.b64encode(binary).decode()
        converted[name] = item
    return converted


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str = REGION) -> dict[str, Any]:
    """One record of a Lambda SQS event, from one message of a ``ReceiveMessage`` answer."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes")),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str = REGION) -> dict[str, Any]:
    return {"Records": [sqs_record(message, queue_arn, region) for message in messages]}


class InvalidBatchResponse(ValueError):
    """A partial-batch response Lambda would reject (so the whole batch fails)."""


def failed_message_ids(response: Any, message_ids: Iterable[str]) -> set[str]:
    """The records a ``ReportBatchItemFailures`` response reports as failed.

    As Lambda reads it: ``None``, ``{}`` and an empty or null ``batchItemFailures`` mean success;
    an item without a non-empty ``itemIdentifier`` of this batch, or a response that is not an
    object, is invalid (:class:`InvalidBatchResponse`) and fails the whole batch.
    """
    batch = set(message_ids)
    if response is None:
        return set()
    if not isinstance(response, Mapping):
        raise InvalidBatchResponse(f"the response is a {type(response).__name__}, not an object")
    items = response.get("batchItemFailures") or []
    if not isinstance(items, list):
        raise InvalidBatchResponse("batchItemFailures is not a list")
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else None
        if not isinstance(identifier, str) or not identifier:
            raise InvalidBatchResponse(f"batch item failure without an itemIdentifier: {item!r}")
        if identifier not in batch:
            raise InvalidBatchResponse(f"itemIdentifier {identifier!r} is not a message of this batch")
        failed.add(identifier)
    return failed


@dataclass
class BatchResult:
    """One SQS invocation: the records it carried and those that failed (left for a retry)."""

    invocation: Invocation
    message_ids: list[str]
    failed_ids: set[str] = field(default_factory=set)


class SqsEventSource:
    """Lambda's SQS event source mapping for one function."""

    def __init__(self, invoker: FunctionInvoker, sqs: Any, queue_url: str, queue_arn: str, *,
                 batch_size: int, batching_window_seconds: float = 0, report_batch_item_failures: bool = True,
                 retry_delay_seconds: int | None = None, max_receive_count: int | None = None,
                 poll_wait_seconds: int = DEFAULT_POLL_WAIT_SECONDS, region: str = REGION):
        self.invoker, self.sqs, self.queue_url, self.queue_arn = invoker, sqs, queue_url, queue_arn
        self.batch_size = batch_size
        self.batching_window_seconds = batching_window_seconds
        self.report_batch_item_failures = report_batch_item_failures
        self.poll_wait_seconds = poll_wait_seconds
        self.region = region
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        self.queue_name = queue_arn.rsplit(":", 1)[-1]
        self.retry_delay_seconds = (retry_delay_seconds if retry_delay_seconds is not None
                                    else int(attributes.get("VisibilityTimeout", "30")))
        if max_receive_count is None and attributes.get("RedrivePolicy"):
            max_receive_count = int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])
        self.max_receive_count = max_receive_count
        # Held while assembling and running, as AWS's "visibility timeout >= timeout + window" rule ensures.
        self.hold_seconds = invoker.function.timeout_seconds + math.ceil(batching_window_seconds)

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        reply = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=max(1, min(SQS_MAX_RECEIVE, count)),
            WaitTimeSeconds=max(0, min(20, wait_seconds)), VisibilityTimeout=self.hold_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"])
        return reply.get("Messages", [])

    def assemble_batch(self, stop: threading.Event | None = None) -> list[dict[str, Any]]:
        """Messages for one invocation: up to the batch size, gathered within the batching window.

        Without a window, whatever one long poll returns; with one, polling continues until the batch
        is full or the window (counted from the first message) has passed.
        """
        batch: list[dict[str, Any]] = []
        seen: set[str] = set()
        deadline: float | None = None
        while len(batch) < self.batch_size and not (stop is not None and stop.is_set()):
            if deadline is None:
                wait = self.poll_wait_seconds
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = int(remaining)
            messages = [m for m in self._receive(self.batch_size - len(batch), wait) if m["MessageId"] not in seen]
            if not messages:
                if deadline is None:
                    return batch
                if wait == 0:  # under a second of window left: short polls, spaced out
                    time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
                continue
            batch.extend(messages)
            seen.update(m["MessageId"] for m in messages)
            if deadline is None:
                if self.batching_window_seconds <= 0:
                    break
                deadline = time.monotonic() + self.batching_window_seconds
        if batch and stop is not None and stop.is_set():
            self._release(batch, 0)  # stopping: hand the messages back untouched
            return []
        return batch

    def poll_once(self, stop: threading.Event | None = None) -> BatchResult | None:
        """Assemble one batch and invoke the function with it; None when the queue was empty."""
        messages = self.assemble_batch(stop)
        if not messages:
            return None
        with self.invoker.gate.enter():  # a stop waits for the batch to be invoked and settled
            return self._run_batch(messages)

    def _run_batch(self, messages: list[dict[str, Any]]) -> BatchResult:
        ids = [m["MessageId"] for m in messages]
        invocation = self.invoker.invoke(sqs_event(messages, self.queue_arn, self.region),
                                         records=len(messages), queue=self.queue_name)
        if not invocation.ok:
            failed = set(ids)
        elif not self.report_batch_item_failures:
            failed = set()  # without ReportBatchItemFailures the response is ignored
        else:
            try:
                failed = failed_message_ids(invocation.response, ids)
            except InvalidBatchResponse as exc:
                with invocation_scope(self.invoker.function.key, invocation.request_id):
                    log.error("invalid partial-batch response: the whole batch failed",
                              extra={"error": str(exc), "queue": self.queue_name})
                failed = set(ids)
        self._delete([m for m in messages if m["MessageId"] not in failed])
        retried = [m for m in messages if m["MessageId"] in failed]
        self._release(retried, self.retry_delay_seconds)
        with invocation_scope(self.invoker.function.key, invocation.request_id):
            log.info("invocation finished" if invocation.ok else "batch failed: every record returns to the queue",
                     extra={"records": len(messages), "failed": len(failed), "duration_ms": invocation.duration_ms,
                            "queue": self.queue_name})
            for message in retried:
                receives = int((message.get("Attributes") or {}).get("ApproximateReceiveCount", "1"))
                if self.max_receive_count and receives >= self.max_receive_count:
                    log.warning("record failed on its last receive: SQS moves it to the DLQ",
                                extra={"message_id": message["MessageId"], "receive_count": receives,
                                       "queue": self.queue_name})
        return BatchResult(invocation, ids, failed)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), SQS_MAX_RECEIVE):
            chunk = messages[start:start + SQS_MAX_RECEIVE]
            reply = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])
            for failure in reply.get("Failed", []):
                log.error("could not delete a processed message (it will be delivered again)",
                          extra={"message_id": chunk[int(failure["Id"])]["MessageId"],
                                 "error": failure.get("Message"), "queue": self.queue_name})

    def _release(self, messages: list[dict[str, Any]], delay_seconds: int) -> None:
        for start in range(0, len(messages), SQS_MAX_RECEIVE):
            chunk = messages[start:start + SQS_MAX_RECEIVE]
            self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": delay_seconds}
                for i, m in enumerate(chunk)])


# -- S3 and scheduled events (asynchronous invocation) ----------------------------------------------

def s3_event_key(decoded_key: str) -> str:
    """An object key encoded the way S3 writes it into events (``/`` kept, spaces as ``+``).

    moto also encodes ``/`` (``uploads%2Fa.jpg``); normalising keeps local events identical to AWS's.
    """
    return quote_plus(decoded_key, safe="/")


def s3_event_from_notification(body: str) -> dict[str, Any] | None:
    """The Lambda S3 event for one S3 → SQS notification body; None for ``s3:TestEvent``.

    Fields moto leaves out of its records (``userIdentity``, ``requestParameters``,
    ``responseElements``, the bucket's ``ownerIdentity``, the object's ``sequencer``) are filled in.
    """
    notification = json.loads(body)
    if not isinstance(notification, dict):
        raise ValueError("an S3 notification must be a JSON object")
    if notification.get("Event") == "s3:TestEvent":
        return None
    records = []
    for record in notification.get("Records") or []:
        record = json.loads(json.dumps(record))  # a deep copy
        request_id = uuid.uuid4().hex[:16].upper()
        record.setdefault("eventVersion", "2.1")
        record.setdefault("userIdentity", {"principalId": f"AWS:{ACCOUNT_ID}"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": request_id, "x-amz-id-2": uuid.uuid4().hex})
        s3 = record["s3"]
        s3["bucket"].setdefault("ownerIdentity", {"principalId": ACCOUNT_ID})
        s3["bucket"].setdefault("arn", f"arn:aws:s3:::{s3['bucket']['name']}")
        s3["object"]["key"] = s3_event_key(unquote_plus(s3["object"]["key"]))
        s3["object"].setdefault("sequencer", f"{time.time_ns():018X}")
        records.append(record)
    if not records:
        raise ValueError("an S3 notification without records")
    return {"Records": records}


def schedule_rule_arn(function: Function, stage: str, region: str = REGION) -> str:
    """The EventBridge rule's ARN (the rule is named after the function, as Chalice names it)."""
    return f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{function.name(stage)}"


def scheduled_event(function: Function, stage: str, *, now: datetime | None = None,
                    region: str = REGION) -> dict[str, Any]:
    """The event EventBridge delivers for a scheduled rule."""
    now = now or datetime.now(timezone.utc)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [schedule_rule_arn(function, stage, region)],
        "detail": {},
    }


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_period_seconds(expression: str) -> int:
    """The period of an EventBridge ``rate(...)`` expression, in seconds."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"the local runtime runs rate(...) schedules only, not {expression!r}")
    value, unit = int(match.group(1)), match.group(2).rstrip("s")
    if value < 1:
        raise ValueError(f"a schedule rate must be positive: {expression!r}")
    return value * _UNIT_SECONDS[unit]


def send_scheduled_event(sqs: Any, queue_url: str, function: Function, stage: str) -> dict[str, Any]:
    """Put one scheduled event on the function's local event queue (what the rule's target receives)."""
    event = scheduled_event(function, stage)
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    return event


class AsyncEventSource:
    """Lambda's asynchronous invocation of one function, fed by its local event queue.

    One event per invocation. A function error leaves the event on the queue, to be retried after
    the queue's visibility timeout; the queue's redrive policy ends the retries (Lambda's two).
    """

    def __init__(self, invoker: FunctionInvoker, sqs: Any, queue_url: str, *,
                 to_event: Callable[[str], dict[str, Any] | None], retry_delay_seconds: int | None = None,
                 poll_wait_seconds: int = DEFAULT_POLL_WAIT_SECONDS):
        self.invoker, self.sqs, self.queue_url, self.to_event = invoker, sqs, queue_url, to_event
        self.poll_wait_seconds = poll_wait_seconds
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        self.queue_name = attributes["QueueArn"].rsplit(":", 1)[-1]
        self.retry_delay_seconds = (retry_delay_seconds if retry_delay_seconds is not None
                                    else int(attributes.get("VisibilityTimeout", "30")))
        policy = json.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
        self.max_attempts = int(policy.get("maxReceiveCount", 0)) or None

    def poll_once(self, stop: threading.Event | None = None) -> Invocation | None:
        """Invoke the function with the next event; None when there was none (or it was a test event)."""
        reply = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=1,
                                         WaitTimeSeconds=self.poll_wait_seconds,
                                         VisibilityTimeout=self.invoker.function.timeout_seconds,
                                         AttributeNames=["All"])
        messages = reply.get("Messages", [])
        if not messages:
            return None
        with self.invoker.gate.enter():  # a stop waits for the event to be invoked and settled
            return self._run_event(messages[0])

    def _run_event(self, message: dict[str, Any]) -> Invocation | None:
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            event = self.to_event(message["Body"])
        except (ValueError, KeyError, TypeError) as exc:
            log.error("unreadable event left on its queue (it moves to the DLQ)",
                      extra={"function": self.invoker.function.key, "error": f"{type(exc).__name__}: {exc}",
                             "message_id": message["MessageId"], "queue": self.queue_name})
            self._retry(message)
            return None
        if event is None:  # e.g. s3:TestEvent, which S3 sends when a notification is configured
            self._delete(message)
            return None
        fields = {"attempt": attempt, "queue": self.queue_name, "message_id": message["MessageId"]}
        if "id" in event:
            fields["event_id"] = event["id"]
        invocation = self.invoker.invoke(event, **fields)
        with invocation_scope(self.invoker.function.key, invocation.request_id):
            if invocation.ok:
                self._delete(message)
                log.info("invocation finished", extra={**fields, "duration_ms": invocation.duration_ms,
                                                        "result": _summary(invocation.response)})
            else:
                self._retry(message)
                last = self.max_attempts is not None and attempt >= self.max_attempts
                log.log(logging.WARNING if last else logging.INFO,
                        "event failed on its last attempt: it moves to the DLQ" if last
                        else "event failed: Lambda retries it", extra={**fields, "error": invocation.error})
        return invocation

    def _delete(self, message: dict[str, Any]) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _retry(self, message: dict[str, Any]) -> None:
        self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                           VisibilityTimeout=self.retry_delay_seconds)


def _summary(response: Any, limit: int = 2000) -> str | None:
    if response is None:
        return None
    text = json.dumps(response, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


class ScheduleClock:
    """An EventBridge ``rate(...)`` rule: calls ``fire`` once per period, the first time one period
    after start (as a rule created now first fires)."""

    def __init__(self, period_seconds: float, fire: Callable[[], Any]):
        self.period_seconds, self.fire = period_seconds, fire

    def run(self, stop: threading.Event) -> None:
        next_at = time.monotonic() + self.period_seconds
        while not stop.wait(max(0.0, next_at - time.monotonic())):
            try:
                self.fire()
            except Exception:  # noqa: BLE001 - a failed tick must not end the schedule
                log.exception("could not deliver a scheduled event")
            next_at += self.period_seconds
            while next_at <= time.monotonic():  # ticks missed while the machine slept are skipped
                next_at += self.period_seconds


# -- the pump ------------------------------------------------------------------------------------------

def sqs_client(endpoint: str, region: str = REGION):
    """A boto3 SQS client for the local endpoint, shared by the pump's threads (clients are thread-safe)."""
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", endpoint_url=endpoint, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(max_pool_connections=32, read_timeout=60, retries={"max_attempts": 3}))


class EventPump:
    """Every event source of ``functions``, each polled on its own thread."""

    def __init__(self, handlers: Mapping[str, Callable[[dict, Any], Any]], provisioned: ProvisionedResources, *,
                 endpoint: str, stage: str, functions: Mapping[str, Function] = FUNCTIONS,
                 max_batching_window_seconds: float | None = None, schedules: bool = True,
                 poll_wait_seconds: int = DEFAULT_POLL_WAIT_SECONDS, region: str = REGION):
        self.provisioned, self.stage, self.region = provisioned, stage, region
        self.functions = {key: f for key, f in functions.items() if key in handlers}
        self.sqs = sqs_client(endpoint, region)
        self._stop = threading.Event()
        self._gate = InvocationGate()
        self._threads: list[threading.Thread] = []
        self.sources: dict[str, SqsEventSource | AsyncEventSource] = {}
        self.clocks: dict[str, ScheduleClock] = {}
        for key, function in self.functions.items():
            invoker = FunctionInvoker(function, handlers[key], stage, region, self._gate)
            trigger = function.trigger
            if isinstance(trigger, SqsTrigger):
                window = trigger.max_batching_window_seconds
                if max_batching_window_seconds is not None:
                    window = min(window, max_batching_window_seconds)
                queue = QUEUES[trigger.queue]
                self.sources[key] = SqsEventSource(
                    invoker, self.sqs, provisioned.queue_urls[queue.key], provisioned.queue_arns[queue.key],
                    batch_size=trigger.batch_size, batching_window_seconds=window,
                    report_batch_item_failures=trigger.report_batch_item_failures,
                    poll_wait_seconds=poll_wait_seconds, region=region)
            elif isinstance(trigger, (S3Trigger, ScheduleTrigger)):
                queue_url = provisioned.queue_urls[provisioned.event_queues[key]]
                to_event = s3_event_from_notification if isinstance(trigger, S3Trigger) else json.loads
                self.sources[key] = AsyncEventSource(invoker, self.sqs, queue_url, to_event=to_event,
                                                     poll_wait_seconds=poll_wait_seconds)
                if isinstance(trigger, ScheduleTrigger) and schedules:
                    self.clocks[key] = ScheduleClock(schedule_period_seconds(trigger.expression),
                                                     lambda key=key: self.fire_schedule(key))

    def fire_schedule(self, function_key: str) -> dict[str, Any]:
        """Deliver one scheduled event to ``function_key`` now (through its event queue)."""
        queue_url = self.provisioned.queue_urls[self.provisioned.event_queues[function_key]]
        event = send_scheduled_event(self.sqs, queue_url, self.functions[function_key], self.stage)
        log.info("scheduled event sent", extra={"event_id": event["id"], "target": function_key})
        return event

    def start(self) -> "EventPump":
        for key, source in self.sources.items():
            self._spawn(f"pump-{key}", key, self._poll_forever, source)
        for key, clock in self.clocks.items():
            self._spawn(f"schedule-{key}", key, clock.run, self._stop)
        return self

    def _spawn(self, name: str, function_key: str, target: Callable, *args: Any) -> None:
        def run() -> None:
            set_thread_function(function_key)
            target(*args)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll_forever(self, source: SqsEventSource | AsyncEventSource) -> None:
        while not self._stop.is_set():
            try:
                source.poll_once(self._stop)
            except Exception:  # noqa: BLE001 - e.g. moto briefly unreachable: keep polling
                if self._stop.is_set():
                    return  # stopping: a poll cut short (or refused) is expected
                log.exception("event source poll failed", extra={"queue": source.queue_name})
                self._stop.wait(1.0)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and wait for running invocations to finish (up to ``timeout`` seconds).

        Threads waiting in a long poll are not waited for (they are daemons and start nothing
        more); messages they still receive stay on their queue.
        """
        self._stop.set()
        if not self._gate.close(timeout):
            log.warning("stopped while invocations were still running")
        self._threads.clear()


def app_handlers(app_module: Any, functions: Mapping[str, Function] = FUNCTIONS) -> dict[str, Callable]:
    """The event handlers of ``app.py`` by function key (every function except the HTTP API)."""
    return {key: getattr(app_module, f.handler) for key, f in functions.items()
            if not isinstance(f.trigger, HttpTrigger)}
