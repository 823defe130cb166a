"""The commands that talk to a running local runtime (``queues``, ``redrive``, ``fire-schedule``,
``logs``), against provisioned resources on moto and a ``runtime.json`` naming them."""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid

import pytest

from chalicelib import cli
from chalicelib.local.aws_provisioning import provision
from chalicelib.local.queue_admin import peek, queue_depths, redrive, resolve_redrive
from chalicelib.local.runtime import RuntimeState
from chalicelib.local.runtime_logs import (
    configure_runtime_logging, entry_filter, follow_entries, invocation_scope, read_entries,
)
from tests.local.conftest import queue_counts
from tests.polling import wait_until


@pytest.fixture
def running(moto_endpoint, tmp_path):
    """A runtime.json for this process, naming freshly provisioned queues and buckets."""
    stage = f"c{uuid.uuid4().hex[:8]}"
    provisioned = provision(moto_endpoint, stage, visibility_timeout_override=1, local_triggers=True)
    state = RuntimeState(pid=os.getpid(), started_at="2026-01-01T00:00:00+00:00", stage=stage,
                         aws_endpoint=moto_endpoint, api_url="http://127.0.0.1:1", log_file=str(tmp_path / "logs" /
                                                                                               "runtime.jsonl"),
                         visibility_timeout=1, queue_urls=provisioned.queue_urls, queue_arns=provisioned.queue_arns,
                         bucket_names=provisioned.bucket_names, event_queues=provisioned.event_queues)
    state.save(tmp_path)
    return state


def run_cli(capsys, *argv) -> tuple[int, str]:
    status = cli.main(list(argv))
    return status, capsys.readouterr().out


def test_commands_say_when_no_runtime_is_running(tmp_path, capsys):
    assert cli.main(["queues", "--state-dir", str(tmp_path)]) == 1
    assert "not running" in capsys.readouterr().err
    RuntimeState(pid=2**22 + 7, started_at="", stage="x", aws_endpoint="", api_url="", log_file="",
                 visibility_timeout=1).save(tmp_path)  # a stale file of a process that is gone
    assert cli.main(["fire-schedule", "--state-dir", str(tmp_path)]) == 1


def test_queues_lists_every_queue_with_its_dlq_and_shows_dead_letters(running, sqs, tmp_path, capsys):
    sqs.send_message(QueueUrl=running.queue_urls["llm_classify_dlq"], MessageBody='{"id": "attempt-9"}')
    sqs.send_message(QueueUrl=running.queue_urls["attempt_stream"], MessageBody="x", MessageGroupId="s1")
    status, out = run_cli(capsys, "queues", "--state-dir", str(tmp_path))
    assert status == 0
    table = out.split("\n\n")[0]
    lines = {line.split()[0]: line.split() for line in table.splitlines()[1:]}
    assert lines["attempt_stream"][1] == "1" and "attempt_stream_dlq" in lines["attempt_stream"]
    assert lines["llm_classify_dlq"][1] == "1"
    assert "ocr_worker_events" in lines and "alert_generator_events_dlq" in lines
    assert '{"id": "attempt-9"}' in out  # the DLQ's message is shown …
    assert queue_counts(sqs, running.queue_urls["llm_classify_dlq"]) == (1, 0)  # … and left there


def test_queue_depths_put_each_dlq_after_its_queue(running, sqs):
    depths = queue_depths(sqs, running.queue_urls)
    keys = [d.key for d in depths]
    assert keys.index("llm_classify_dlq") == keys.index("llm_classify") + 1
    llm = depths[keys.index("llm_classify")]
    assert (llm.max_receive_count, llm.dlq_key, llm.is_dlq) == (3, "llm_classify_dlq", False)


def test_redrive_moves_dead_letters_back_to_the_source_queue(running, sqs, tmp_path, capsys):
    dlq = running.queue_urls["attempt_reprocess_dlq"]
    for n in range(12):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"n": n}),
                         MessageAttributes={"trace_id": {"DataType": "String", "StringValue": f"t{n}"}})
    status, out = run_cli(capsys, "redrive", "attempt_reprocess", "--state-dir", str(tmp_path))
    assert status == 0 and "moved 12 message(s)" in out
    assert queue_counts(sqs, dlq) == (0, 0)
    moved = []
    while batch := sqs.receive_message(QueueUrl=running.queue_urls["attempt_reprocess"], MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"]).get("Messages"):
        moved += batch
    assert sorted(json.loads(m["Body"])["n"] for m in moved) == list(range(12))
    assert {m["MessageAttributes"]["trace_id"]["StringValue"] for m in moved} == {f"t{n}" for n in range(12)}


def test_redrive_of_a_fifo_dlq_keeps_the_group_and_beats_deduplication(running, sqs):
    source, dlq = running.queue_urls["attempt_stream"], running.queue_urls["attempt_stream_dlq"]
    body = json.dumps({"attemptId": "a1"})
    sqs.send_message(QueueUrl=dlq, MessageBody=body, MessageGroupId="student-1", MessageDeduplicationId="a1")
    sqs.send_message(QueueUrl=source, MessageBody=body, MessageGroupId="student-1", MessageDeduplicationId="a1")
    sqs.delete_message(QueueUrl=source, ReceiptHandle=sqs.receive_message(QueueUrl=source)["Messages"][0]["ReceiptHandle"])
    assert redrive(sqs, dlq, source, limit=5) == 1  # "a1" was sent within 5 minutes: a new dedup id is needed
    [message] = sqs.receive_message(QueueUrl=source, AttributeNames=["All"])["Messages"]
    assert message["Body"] == body and message["Attributes"]["MessageGroupId"] == "student-1"


def test_redrive_limit_and_unknown_queues(running, sqs, tmp_path, capsys):
    dlq = running.queue_urls["ocr_worker_events_dlq"]
    for n in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    assert redrive(sqs, dlq, running.queue_urls["ocr_worker_events"], limit=2) == 2
    assert queue_counts(sqs, dlq)[0] == 1
    assert resolve_redrive("llm_classify_dlq") == ("llm_classify_dlq", "llm_classify")
    with pytest.raises(ValueError):
        resolve_redrive("ocr")  # the vestigial OCR queue has no DLQ
    assert cli.main(["redrive", "nope", "--state-dir", str(tmp_path)]) == 2


def test_peek_leaves_messages_in_place(running, sqs):
    dlq = running.queue_urls["submission_grade_dlq"]
    for n in range(13):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"m{n}")
    assert len(peek(sqs, dlq, limit=5)) == 5
    assert queue_counts(sqs, dlq) == (13, 0)


def test_fire_schedule_puts_a_scheduled_event_on_the_functions_event_queue(running, sqs, tmp_path, capsys):
    status, out = run_cli(capsys, "fire-schedule", "--state-dir", str(tmp_path))
    assert status == 0
    [message] = sqs.receive_message(QueueUrl=running.queue_urls["alert_generator_events"])["Messages"]
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert f"scheduled event {event['id']} sent to alertGenerator" in out
    assert cli.main(["fire-schedule", "ocrWorker", "--state-dir", str(tmp_path)]) == 2  # not a scheduled function


def test_fire_schedule_wait_reports_the_outcome_from_the_log(running, sqs, tmp_path, capsys):
    """``--wait`` follows the runtime's log until the pump writes the invocation's outcome."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir(exist_ok=True)

    def pump_reply() -> None:
        messages = wait_until(lambda: sqs.receive_message(
            QueueUrl=running.queue_urls["alert_generator_events"]).get("Messages"))
        event_id = json.loads(messages[0]["Body"])["id"]
        with open(running.log_file, "a") as log_file:
            log_file.write(json.dumps({"message": "invocation finished", "event_id": event_id,
                                       "function": "alertGenerator", "duration_ms": 12.5,
                                       "result": '{"alerts": 3}'}) + "\n")

    replier = threading.Thread(target=pump_reply)
    replier.start()
    status, out = run_cli(capsys, "fire-schedule", "--wait", "--timeout", "30", "--state-dir", str(tmp_path))
    replier.join()
    assert status == 0 and 'alertGenerator: finished in 12.5 ms → {"alerts": 3}' in out


# -- logs ----------------------------------------------------------------------------------------------------

@pytest.fixture
def runtime_logging(tmp_path):
    """The runtime's logging set-up, undone afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    path = configure_runtime_logging(tmp_path / "logs", "info", console=open(os.devnull, "w"))
    yield path
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def test_log_lines_carry_the_function_and_request_id(runtime_logging):
    worker = logging.getLogger("chalicelib.workers.example")
    with invocation_scope("telemetryWorker", "req-1"):
        worker.info("batch stored", extra={"records": 3})
    thread = threading.Thread(target=lambda: worker.warning("from a request thread"))
    thread.start()
    thread.join()
    seen = read_entries(runtime_logging)
    stored = next(e for e in seen if e["message"] == "batch stored")
    assert (stored["function"], stored["request_id"], stored["records"]) == ("telemetryWorker", "req-1", 3)
    request = next(e for e in seen if e["message"] == "from a request thread")
    assert request["function"] == "api" and "request_id" not in request


def test_logs_command_filters_and_follows(runtime_logging, tmp_path, capsys):
    log = logging.getLogger("chalicelib.workers.example")
    with invocation_scope("llmClassifierWorker", "r1"):
        log.info("classified")
        log.error("provider unconfigured")
    with invocation_scope("ocrWorker", "r2"):
        log.info("transcribed")
    status, out = run_cli(capsys, "logs", "--state-dir", str(tmp_path), "--function", "llmClassifierWorker",
                          "--level", "error")
    assert status == 0 and "provider unconfigured" in out and "classified" not in out and "transcribed" not in out
    status, out = run_cli(capsys, "logs", "--state-dir", str(tmp_path), "-n", "1", "--json")
    assert json.loads(out)["message"] == "transcribed"

    followed = []
    stop = threading.Event()

    def follow() -> None:
        for entry in follow_entries(runtime_logging, accept=entry_filter(function="ocrWorker"),
                                    should_stop=stop.is_set, poll_seconds=0.05):
            followed.append(entry["message"])

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.3)  # let the follower reach the end of the file before writing more
    with invocation_scope("ocrWorker", "r3"):
        log.info("second upload")
    with invocation_scope("alertGenerator", "r4"):
        log.info("alerts raised")
    wait_until(lambda: followed)
    stop.set()
    follower.join()
    assert followed == ["second upload"]


def test_following_survives_rotation(tmp_path):
    path = tmp_path / "runtime.jsonl"
    path.write_text(json.dumps({"message": "old"}) + "\n")
    seen = []
    stop = threading.Event()

    def follow() -> None:
        for entry in follow_entries(path, should_stop=lambda: stop.is_set() or len(seen) >= 2, poll_seconds=0.05):
            seen.append(entry["message"])

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.3)
    with path.open("a") as stream:
        stream.write(json.dumps({"message": "before rotation"}) + "\n")
    wait_until(lambda: seen)
    path.rename(tmp_path / "runtime.jsonl.1")
    path.write_text(json.dumps({"message": "after rotation"}) + "\n")
    follower.join(timeout=30)
    stop.set()
    assert seen == ["before rotation", "after rotation"]


def test_killswitch_parameters_are_created_false_and_a_flip_is_kept(moto_endpoint):
    import boto3

    from chalicelib.local.aws_provisioning import provision_killswitches
    from chalicelib.resources import KILLSWITCH_PARAMETERS

    ssm = boto3.client("ssm", endpoint_url=moto_endpoint, region_name="us-east-1")
    try:
        provision_killswitches(moto_endpoint)
        ssm.put_parameter(Name="/innova/llm/paused", Value="true", Type="String", Overwrite=True)
        provision_killswitches(moto_endpoint)  # a second runtime start
        values = {name: ssm.get_parameter(Name=name)["Parameter"]["Value"] for name in KILLSWITCH_PARAMETERS}
    finally:
        ssm.delete_parameters(Names=list(KILLSWITCH_PARAMETERS))  # the server is shared by the session
    assert values == {name: "true" if name == "/innova/llm/paused" else "false" for name in KILLSWITCH_PARAMETERS}
